package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/commons-directory/commons"
)

// Site is the public face of the instance that its operator sets: the
// name, logo and colour of the header, who runs the site and how to reach
// them, and the facts of the legal notice, the privacy notice and the
// accessibility statement. Every text is a map of language → text; a page
// shows the one of its language, else the instance language's.
type Site struct {
	ShortName commons.Text // the header's name; default the instance name
	// Logo is an https URL of the logo, or "" when LogoFile holds it (it
	// is then served at /static/logo). Either may be empty: no logo.
	Logo     string
	LogoFile []byte
	LogoType string // LogoFile's media type: image/png, image/svg+xml, …
	// Accent and AccentDark are the colours of links and buttons, #rrggbb,
	// in the light and the dark scheme; CheckAccent tells whether one is
	// readable. Empty keeps the stylesheet's.
	Accent, AccentDark string
	Operator           commons.Text // who runs the site; default the instance name
	Contact            string       // an e-mail address or an https URL
	LegalNotice        commons.Text // the legal notice's own text (plain text, paragraphs split by blank lines)
	PrivacyNotice      commons.Text // added to the privacy notice
	Accessibility      Accessibility
}

// Accessibility holds the facts of the accessibility statement, which
// follows the model of Commission Implementing Decision (EU) 2018/1523.
type Accessibility struct {
	Status        string       // "full", "partial" (the default) or "none": compliance with EN 301 549
	NonAccessible commons.Text // content known not to be accessible, and why
	Date          string       // the day the statement was prepared, 2006-01-02
	Feedback      string       // where to report a problem (e-mail or https URL); default Site.Contact
	Enforcement   string       // the enforcement body's page (https URL)
}

// Compliance statuses of the accessibility statement.
var AccessibilityStatuses = []string{"full", "partial", "none"}

// The backgrounds the accent colour is used on (text on them, and them as
// text on the accent in buttons): --bg and --soft of each scheme.
var accentBackgrounds = func() [2][]string {
	css, err := assets.ReadFile("static/style.css")
	if err != nil {
		panic("web: " + err.Error())
	}
	blocks := strings.SplitN(string(css), "prefers-color-scheme: dark", 2)
	decl := regexp.MustCompile(`--(bg|soft): (#[0-9a-f]{6})`)
	var out [2][]string
	for i := range blocks {
		for _, m := range decl.FindAllStringSubmatch(blocks[i], 2) {
			out[i] = append(out[i], m[2])
		}
	}
	return out
}()

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// CheckAccent tells why colour cannot be the accent of the light (dark
// false) or dark scheme: not #rrggbb, or below WCAG 2's AA contrast of
// 4.5:1 against a background it is used on. nil when it can.
func CheckAccent(colour string, dark bool) error {
	if !hexColour.MatchString(colour) {
		return fmt.Errorf("%q is not a colour written #rrggbb", colour)
	}
	scheme, bgs := "light", accentBackgrounds[0]
	if dark {
		scheme, bgs = "dark", accentBackgrounds[1]
	}
	for _, bg := range bgs {
		if c := contrast(strings.ToLower(colour), bg); c < 4.5 {
			return fmt.Errorf("%s has a contrast of %.2f:1 with the %s scheme's background %s, below WCAG AA's 4.5:1", colour, c, scheme, bg)
		}
	}
	return nil
}

// contrast is the WCAG 2 contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	var ch [3]float64
	for i := range 3 {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			ch[i] = c / 12.92
		} else {
			ch[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2]
}

var accentDecl = regexp.MustCompile(`--accent: #[0-9a-f]{6}`)

// styleWith is the stylesheet with the site's accent colours.
func styleWith(css []byte, light, dark string) []byte {
	n := 0
	return accentDecl.ReplaceAllFunc(css, func(m []byte) []byte {
		n++
		switch {
		case n == 1 && light != "":
			return []byte("--accent: " + strings.ToLower(light))
		case n == 2 && dark != "":
			return []byte("--accent: " + strings.ToLower(dark))
		}
		return m
	})
}

// contactLink is the href of an e-mail address or a URL.
func contactLink(s string) string {
	if s == "" || strings.Contains(s, "://") {
		return s
	}
	return "mailto:" + s
}

// contactLabel is what a contact link shows: the address, or the URL
// without its scheme.
func contactLabel(s string) string {
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		return strings.TrimSuffix(u.Host+u.Path, "/")
	}
	return s
}

// siteView is what the layout shows of the site on every page.
type siteView struct {
	Short, ShortLang       string // the header's name, and its language when not the page's
	Logo                   string // the logo's src, or ""
	Operator, OperatorLang string
	Contact, ContactLabel  string
}

// siteIn is the site's face for a page in lang.
func (s *server) siteIn(lang string) siteView {
	v := siteView{Logo: s.site.Logo, Contact: contactLink(s.site.Contact), ContactLabel: contactLabel(s.site.Contact)}
	if len(s.site.LogoFile) > 0 {
		v.Logo = "/static/logo"
	}
	v.Short, v.ShortLang = s.textOr(s.site.ShortName, lang)
	v.Operator, v.OperatorLang = s.textOr(s.site.Operator, lang)
	return v
}

// textOr is t in lang (else in the instance language), or the instance
// name when t is empty, with its language when not lang.
func (s *server) textOr(t commons.Text, lang string) (string, string) {
	if len(t) == 0 {
		return s.instanceName(lang)
	}
	lt := textIn(t, lang, s.lang)
	if lt.Lang == lang || strings.HasPrefix(lt.Lang, lang+"-") {
		return lt.Text, ""
	}
	return lt.Text, lt.Lang
}

// legalView is the body of the legal notice, privacy notice and
// accessibility statement.
type legalView struct {
	Paragraphs    []string // the operator's text, by paragraph
	TextLang      string   // its language, when not the page's
	Host          string   // the site's address, as the statement names it
	Status        string
	NonAcc        []string
	NonAccLang    string
	Date          string
	Feedback      string
	FeedbackLabel string
	Enforcement   string
}

// paragraphs splits a text at blank lines.
func paragraphs(s string) []string {
	var out []string
	for p := range strings.SplitSeq(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *server) localParagraphs(t commons.Text, lang string) ([]string, string) {
	if len(t) == 0 {
		return nil, ""
	}
	lt := textIn(t, lang, s.lang)
	if lt.Lang == lang || strings.HasPrefix(lt.Lang, lang+"-") {
		return paragraphs(lt.Text), ""
	}
	return paragraphs(lt.Text), lt.Lang
}

// handleLegalPage answers /legal, /privacy and /accessibility.
func (s *server) handleLegalPage(which string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		d := s.newPage(w, r, "")
		v := legalView{Host: s.nameIn(d.Lang).Text}
		switch which {
		case "legal":
			d.Title = d.T("footer.legal")
			v.Paragraphs, v.TextLang = s.localParagraphs(s.site.LegalNotice, d.Lang)
		case "privacy":
			d.Title = d.T("footer.privacy")
			v.Paragraphs, v.TextLang = s.localParagraphs(s.site.PrivacyNotice, d.Lang)
		case "accessibility":
			d.Title = d.T("footer.accessibility")
			a := s.site.Accessibility
			v.Status = a.Status
			if v.Status == "" {
				v.Status = "partial"
			}
			v.NonAcc, v.NonAccLang = s.localParagraphs(a.NonAccessible, d.Lang)
			if t, err := time.Parse(time.DateOnly, a.Date); err == nil {
				v.Date = formatDate(d.Lang, t)
			}
			fb := a.Feedback
			if fb == "" {
				fb = s.site.Contact
			}
			v.Feedback, v.FeedbackLabel, v.Enforcement = contactLink(fb), contactLabel(fb), a.Enforcement
		}
		d.Body = v
		return s.render(w, r, http.StatusOK, which, d)
	}
}

// handleLogo serves the logo file of the site.
func (s *server) handleLogo(w http.ResponseWriter, r *http.Request) error {
	if len(s.site.LogoFile) == 0 {
		return commons.Errorf(commons.ENOTFOUND, "no logo")
	}
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	writeBody(w, http.StatusOK, s.site.LogoType, s.site.LogoFile)
	return nil
}
