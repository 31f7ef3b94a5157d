package web

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/commons-directory/commons"
)

// uiRouter lists the HTML-only pages of the directory: topics, instances,
// follow, sign-in, editing, stats, funding and the operators' pages. They
// are not part of the JSON API, so they live on their own router, which
// pageRoutes mounts, and not in openapi.json. Every POST is a form that
// carries a CSRF token (session.go).
func (s *server) uiRouter() *mux.Router {
	const get, head, post = http.MethodGet, http.MethodHead, http.MethodPost
	r := mux.NewRouter()
	r.MethodNotAllowedHandler = s.handle(s.handleMethodNotAllowed)
	page := func(h handler) http.Handler {
		return s.handle(func(w http.ResponseWriter, r *http.Request) error { setVary(w); return h(w, r) })
	}

	// Public pages (ui_places.go, stats.go, funding.go).
	r.Handle("/topics/{topic}", page(s.handleTopicPage)).Methods(get, head)
	r.Handle("/about", page(s.handleAboutPage)).Methods(get, head)
	r.Handle("/instances/{host}", page(s.handleInstancePage)).Methods(get, head)
	r.Handle("/instances/{host}/records/{slug}", page(s.handleRemoteRecordPage)).Methods(get, head)
	r.Handle("/instances/{host}/records/{slug}/history", page(s.handleCopyHistoryPage)).Methods(get, head) // copies.go
	r.Handle("/instances/{host}/records/{slug}/icon.png", s.handle(s.handleCopyIcon)).Methods(get, head)
	r.Handle("/follow", page(s.handleFollow)).Methods(get, head, post)
	r.Handle("/stats", page(s.handleStatsPage)).Methods(get, head)
	r.Handle("/funding", page(s.handleFundingPage)).Methods(get, head)
	r.Handle("/legal", page(s.handleLegalPage("legal"))).Methods(get, head) // site.go
	r.Handle("/privacy", page(s.handleLegalPage("privacy"))).Methods(get, head)
	r.Handle("/accessibility", page(s.handleLegalPage("accessibility"))).Methods(get, head)
	r.Handle("/static/logo", s.handle(s.handleLogo)).Methods(get, head)
	r.Handle("/funding.atom", s.handle(s.handleFundingFeed)).Methods(get, head)
	r.Handle("/funding/programmes", page(s.handleFindPage)).Methods(get, head) // ui_programmes.go
	r.Handle("/funding/find", page(s.handleFindPage)).Methods(get, head)
	r.Handle("/funding/programmes/{slug}", page(s.handleProgrammePage)).Methods(get, head)

	// Signing in and out (session.go).
	r.Handle("/login", page(s.handleLoginForm)).Methods(get, head)
	r.Handle("/login", page(s.handleLogin)).Methods(post)
	r.Handle("/logout", page(s.handleLogout)).Methods(post)
	r.Handle("/logout/everywhere", page(s.editorPage(s.handleLogoutEverywhere))).Methods(post)
	r.Handle("/account", page(s.userPage(func(u *commons.User) bool { return u != nil }, s.handleAccount))).Methods(get, head, post)

	// Editors (editor*.go).
	r.Handle("/edit/new", page(s.editorPage(s.handleEditNew))).Methods(get, head, post)
	r.Handle("/edit/import", page(s.editorPage(s.handleImportPage))).Methods(get, head, post) // ui_import.go
	r.Handle("/records/{slug}/edit", page(s.editorPage(s.handleEdit))).Methods(get, head, post)
	r.Handle("/records/{slug}/delete", page(s.editorPage(s.handleDelete))).Methods(get, head, post)
	r.Handle("/records/{slug}/history", page(s.handleHistoryPage)).Methods(get, head)
	r.Handle("/records/{slug}/post", page(s.editorPage(s.handlePostPage))).Methods(get, head, post)

	// Operators (ops*.go).
	r.Handle("/ops", page(s.adminPage(s.handleOpsPage))).Methods(get, head)
	r.Handle("/ops/peers", page(s.adminPage(s.handleOpsPeerFollow))).Methods(post)
	r.Handle("/ops/peers/{host}/{action:approve|reject|sync|unfollow}", page(s.adminPage(s.handleOpsPeerAction))).Methods(post)
	r.Handle("/ops/blocks", page(s.adminPage(s.handleOpsBlock))).Methods(post)
	r.Handle("/ops/blocks/import", page(s.adminPage(s.handleOpsBlockImport))).Methods(post)
	r.Handle("/ops/blocks/remove", page(s.adminPage(s.handleOpsUnblock))).Methods(post)
	r.Handle("/ops/harvests", page(s.adminPage(s.handleOpsHarvestAdd))).Methods(post)
	r.Handle("/ops/harvests/remove", page(s.adminPage(s.handleOpsHarvestRemove))).Methods(post)
	r.Handle("/ops/users", page(s.adminPage(s.handleOpsUsers))).Methods(get, head, post)
	r.Handle("/ops/users/{name}", page(s.adminPage(s.handleOpsUserChange))).Methods(post)
	r.Handle("/ops/tokens", page(s.adminPage(s.handleOpsTokenCreate))).Methods(post)
	r.Handle("/ops/tokens/revoke", page(s.adminPage(s.handleOpsTokenRevoke))).Methods(post)
	return r
}
