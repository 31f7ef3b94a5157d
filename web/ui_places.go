package web

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/i18n"
)

// followView is the "follow from the fediverse" box: the handle to copy
// and the form that sends a visitor to their own server.
type followView struct {
	Handle  string // @name@host
	Target  string // the actor IRI
	Account string // what the visitor typed
	Error   string
	NoPage  string // the visitor's server, when it offers no follow page
	Record  bool   // a record's box, which says what following it brings
}

// placeView is a topic, instance or about page: a heading, what it is, the
// follow box and a search within it.
type placeView struct {
	Heading     string
	HeadingLang string // the language of Heading, when not the page's
	Lead        string
	Feed        string
	Follow      followView
	Results     homeView
	Peer        *commons.Peer
	Peers       []commons.Peer
	Local       int
	Remote      int
	Links       []namedLink
}

// searchWithin runs the page's search with extra facet values imposed.
func (s *server) searchWithin(r *http.Request, facet, value string) (*commons.RecordPage, error) {
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		return nil, err
	}
	if f.Filters == nil {
		f.Filters = map[string][]string{}
	}
	f.Filters[facet] = []string{value}
	f.Language = pageLanguage(r)
	return s.timeSearch(r.Context(), f)
}

// handleTopicPage answers /topics/{topic} for browsers: the records of a
// kind or a country, and the topic's fediverse account.
func (s *server) handleTopicPage(w http.ResponseWriter, r *http.Request) error {
	topic := mux.Vars(r)["topic"]
	if !commons.IsTopic(topic) {
		return commons.Errorf(commons.ENOTFOUND, "%q is not a topic: topics are kinds and country codes.", topic)
	}
	facet, value := commons.FacetKind, topic
	if len(topic) == 2 {
		facet, value = commons.FacetCountry, strings.ToUpper(topic)
	}
	page, err := s.searchWithin(r, facet, value)
	if err != nil {
		return err
	}
	d := s.newPage(w, r, "")
	v := placeView{Feed: "/feeds/topics/" + topic + ".atom",
		Follow: followView{Handle: "@" + topic + "@" + hostOf(s.base), Target: s.base + "/topics/" + topic}}
	if facet == commons.FacetKind {
		v.Heading = d.T("kind." + topic)
		v.Lead = d.Tf("topic.kindlead", v.Heading)
	} else {
		v.Heading = countryLabel(d.Lang, value)
		v.Lead = d.Tf("topic.countrylead", i18n.CountryName(d.Lang, value))
	}
	v.Results = s.resultsView(r, d.Lang, page, "/topics/"+topic, facet)
	d.Title = v.Heading
	d.Body = v
	d.Alternates = append(d.Alternates, alternate{mediaAtom, v.Feed, v.Heading})
	return s.render(w, r, http.StatusOK, "place", d)
}

// handleAboutPage answers /about: this instance, its counts, its account
// and its peers.
func (s *server) handleAboutPage(w http.ResponseWriter, r *http.Request) error {
	local, remote, err := s.dir.CountRecords(r.Context())
	if err != nil {
		return err
	}
	d := s.newPage(w, r, "")
	host := hostOf(s.base)
	v := placeView{Heading: d.Instance, HeadingLang: d.InstanceLang, Local: local, Remote: remote,
		Follow: followView{Handle: instanceHandle(host), Target: s.base + "/actor"}}
	v.Lead = d.N("about.lead", local) + " " + d.N("about.copies", remote)
	if s.op != nil {
		if v.Peers, err = s.op.Peers(r.Context()); err != nil {
			return err
		}
	}
	v.Links = []namedLink{
		{d.T("footer.catalog"), "/catalog.jsonld"}, {"DCAT-AP (Turtle)", "/catalog.ttl"},
		{d.T("footer.csv"), "/export/records.csv"}, {"JSON Lines", "/export/records.jsonl"},
		{d.T("footer.feed"), "/feeds/records.atom"}, {d.T("footer.api"), "/api/openapi.json"},
	}
	d.Title = d.T("about.title")
	d.Body = v
	return s.render(w, r, http.StatusOK, "place", d)
}

// handleInstancePage answers /instances/{host}: a peer and the records of
// it that this instance holds.
func (s *server) handleInstancePage(w http.ResponseWriter, r *http.Request) error {
	host := mux.Vars(r)["host"]
	if host == hostOf(s.base) {
		http.Redirect(w, r, "/about", http.StatusSeeOther)
		return nil
	}
	var peer *commons.Peer
	if s.op != nil {
		peers, err := s.op.Peers(r.Context())
		if err != nil {
			return err
		}
		for i := range peers {
			if peers[i].Host == host {
				peer = &peers[i]
			}
		}
	}
	page, err := s.searchWithin(r, commons.FacetOrigin, host)
	if err != nil {
		return err
	}
	if peer == nil && page.Total == 0 {
		return commons.Errorf(commons.ENOTFOUND, "This instance knows nothing of %s.", host)
	}
	d := s.newPage(w, r, host)
	v := placeView{Heading: host, Peer: peer,
		Follow: followView{Handle: instanceHandle(host), Target: "https://" + host + "/actor"}}
	names := originNames{s: s, r: r, lang: d.Lang}
	v.Heading = names.of(host)
	if peer != nil {
		v.Follow.Target = peer.Actor
		if peer.Name != "" {
			v.Heading = peer.Name
		}
	}
	d.Title = v.Heading
	v.Lead = d.N("instance.lead", page.Total, v.Heading)
	v.Results = s.resultsView(r, d.Lang, page, "/instances/"+url.PathEscape(host), commons.FacetOrigin)
	d.Body = v
	return s.render(w, r, http.StatusOK, "place", d)
}

// handleFollow is the remote-follow form: GET shows it for ?target=, POST
// finds the visitor's server and sends them to its follow page.
func (s *server) handleFollow(w http.ResponseWriter, r *http.Request) error {
	if s.fed == nil {
		return commons.Errorf(commons.ENOTFOUND, "This instance does not federate.")
	}
	target := r.URL.Query().Get("target")
	status := http.StatusOK
	v := followView{}
	if r.Method == http.MethodPost {
		if err := s.checkForm(w, r); err != nil {
			return err
		}
		target = r.PostForm.Get("target")
		v.Account = strings.TrimSpace(r.PostForm.Get("account"))
	}
	if target == "" && r.Method != http.MethodPost {
		target = s.base + "/actor" // the form alone: follow this instance
	}
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		return commons.Errorf(commons.EINVALID, "Nothing to follow: the form names no account.")
	}
	d := s.newPage(w, r, "")
	v.Target, v.Handle = target, handleOf(target)
	if r.Method == http.MethodPost {
		if v.Account == "" {
			v.Error = d.T("follow.empty")
		} else if to, err := s.fed.RemoteFollowURL(r.Context(), v.Account, target); err == nil && to != "" {
			http.Redirect(w, r, to, http.StatusSeeOther)
			return nil
		} else if err == nil {
			_, v.NoPage, _ = strings.Cut(strings.TrimPrefix(v.Account, "@"), "@")
			status = http.StatusOK
		} else if c := commons.ErrorCode(err); c == commons.EINTERNAL {
			return err
		} else {
			v.Error = commons.ErrorMessage(err)
		}
		if v.NoPage == "" {
			status = http.StatusUnprocessableEntity
		}
	}
	d.Title = d.T("follow.title")
	d.Body = v
	return s.render(w, r, status, "follow", d)
}

// handleOf guesses the @name@host of an actor IRI for display.
func handleOf(iri string) string {
	u, err := url.Parse(iri)
	if err != nil || u.Host == "" {
		return iri
	}
	if i := strings.LastIndexByte(u.Path, '/'); i >= 0 && u.Path[i+1:] != "actor" && u.Path[i+1:] != "" {
		return "@" + u.Path[i+1:] + "@" + u.Host
	}
	return instanceHandle(u.Host)
}

// instanceHandle is the handle of an instance actor as WebFinger answers
// it: its preferredUsername is the host name without a port, so a host
// with a port gives @127.0.0.1@127.0.0.1:8081.
func instanceHandle(host string) string {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	return "@" + name + "@" + host
}
