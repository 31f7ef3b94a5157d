package main

import (
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/commons-directory/commons/web"
)

// Site configures the public face of the instance: header, footer, legal
// notice, privacy notice and accessibility statement.
type Site struct {
	ShortName                  LangText `toml:"short_name"`
	Logo                       string   `toml:"logo"`
	AccentColour               string   `toml:"accent_colour"`
	AccentColourDark           string   `toml:"accent_colour_dark"`
	Operator                   LangText `toml:"operator"`
	Contact                    string   `toml:"contact"`
	LegalNotice                LangText `toml:"legal_notice"`
	PrivacyNotice              LangText `toml:"privacy_notice"`
	AccessibilityStatus        string   `toml:"accessibility_status"`
	AccessibilityNonAccessible LangText `toml:"accessibility_non_accessible"`
	AccessibilityDate          string   `toml:"accessibility_date"`
	AccessibilityFeedback      string   `toml:"accessibility_feedback"`
	AccessibilityEnforcement   string   `toml:"accessibility_enforcement"`
}

// logoTypes are the logo files served, by extension.
var logoTypes = map[string]string{".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}

// validate names the first wrong key of the section.
func (s Site) validate() error {
	for key, t := range map[string]LangText{"site.short_name": s.ShortName, "site.operator": s.Operator,
		"site.legal_notice": s.LegalNotice, "site.privacy_notice": s.PrivacyNotice,
		"site.accessibility_non_accessible": s.AccessibilityNonAccessible} {
		if err := t.check(); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	if s.Logo != "" {
		if strings.Contains(s.Logo, "://") {
			if u, err := url.Parse(s.Logo); err != nil || u.Scheme != "https" || u.Host == "" {
				return fmt.Errorf("site.logo: %q is neither an https URL nor a file", s.Logo)
			}
		} else {
			if _, ok := logoTypes[strings.ToLower(filepath.Ext(s.Logo))]; !ok {
				return fmt.Errorf("site.logo: %q is not a .png, .svg, .jpg or .webp file", s.Logo)
			}
			if st, err := os.Stat(s.Logo); err != nil || st.IsDir() || st.Size() > 512<<10 {
				return fmt.Errorf("site.logo: %q is not a readable file of at most 512 KiB", s.Logo)
			}
		}
	}
	if s.AccentColour != "" {
		if err := web.CheckAccent(s.AccentColour, false); err != nil {
			return fmt.Errorf("site.accent_colour: %w", err)
		}
	}
	if s.AccentColourDark != "" {
		if err := web.CheckAccent(s.AccentColourDark, true); err != nil {
			return fmt.Errorf("site.accent_colour_dark: %w", err)
		}
	}
	for key, v := range map[string]string{"site.contact": s.Contact, "site.accessibility_feedback": s.AccessibilityFeedback} {
		if v != "" && !isContact(v) {
			return fmt.Errorf("%s: %q is neither an e-mail address nor an https URL", key, v)
		}
	}
	if v := s.AccessibilityEnforcement; v != "" {
		if u, err := url.Parse(v); err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("site.accessibility_enforcement: %q is not an https URL", v)
		}
	}
	if !slices.Contains(web.AccessibilityStatuses, s.AccessibilityStatus) {
		return fmt.Errorf("site.accessibility_status: %q is not full, partial or none", s.AccessibilityStatus)
	}
	if v := s.AccessibilityDate; v != "" {
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return fmt.Errorf("site.accessibility_date: %q is not a date such as 2026-03-31", v)
		}
	}
	return nil
}

// isContact tells whether s is an e-mail address or an https URL.
func isContact(s string) bool {
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		return err == nil && u.Scheme == "https" && u.Host != ""
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// webSite is the section as the web package takes it, with the logo file
// read.
func (s Site) webSite(lang string) (web.Site, error) {
	out := web.Site{
		ShortName: s.ShortName.Map(lang), Accent: s.AccentColour, AccentDark: s.AccentColourDark,
		Operator: s.Operator.Map(lang), Contact: s.Contact,
		LegalNotice: s.LegalNotice.Map(lang), PrivacyNotice: s.PrivacyNotice.Map(lang),
		Accessibility: web.Accessibility{Status: s.AccessibilityStatus, NonAccessible: s.AccessibilityNonAccessible.Map(lang),
			Date: s.AccessibilityDate, Feedback: s.AccessibilityFeedback, Enforcement: s.AccessibilityEnforcement},
	}
	switch {
	case s.Logo == "":
	case strings.Contains(s.Logo, "://"):
		out.Logo = s.Logo
	default:
		b, err := os.ReadFile(s.Logo)
		if err != nil {
			return out, fmt.Errorf("site.logo: %w", err)
		}
		out.LogoFile, out.LogoType = b, logoTypes[strings.ToLower(filepath.Ext(s.Logo))]
	}
	return out, nil
}
