package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/commons-directory/commons"
)

// opsView is the operators' page: peers, domain blocks, deliveries.
type opsView struct {
	Federates bool
	Peers     []commons.Peer
	Blocks    []commons.DomainBlock
	Queue     *commons.DeliveryQueue
	Harvests  []Harvest
	Harvest   bool // the instance re-reads publiccode.yml files
	Errors    map[string]string
	Values    map[string]string
}

// handleOpsPage answers /ops.
func (s *server) handleOpsPage(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	return s.renderOps(w, r, http.StatusOK, nil, nil)
}

// renderOps shows the operators' page, with errors beside the fields of
// the form that failed and what was typed in them.
func (s *server) renderOps(w http.ResponseWriter, r *http.Request, status int, errs, values map[string]string) error {
	d := s.newPage(w, r, "")
	d.Title = d.T("ops.title")
	v := opsView{Federates: s.op != nil, Harvest: s.harvests != nil, Errors: errs, Values: values}
	if s.harvests != nil {
		var err error
		if v.Harvests, err = s.harvests.Harvests(r.Context()); err != nil {
			return err
		}
	}
	if s.op != nil {
		ctx := r.Context()
		var err error
		if v.Peers, err = s.op.Peers(ctx); err != nil {
			return err
		}
		if v.Blocks, err = s.op.DomainBlocks(ctx); err != nil {
			return err
		}
		if v.Queue, err = s.op.DeliveryQueue(ctx); err != nil {
			return err
		}
	}
	d.Body = v
	return s.render(w, r, status, "ops", d)
}

// opsResult redirects after a successful action, or shows the page again
// with an invalid input's message beside its field.
func (s *server) opsResult(w http.ResponseWriter, r *http.Request, err error, field, done string) error {
	if err == nil {
		http.Redirect(w, r, "/ops?done="+done, http.StatusSeeOther)
		return nil
	}
	switch commons.ErrorCode(err) {
	case commons.EINVALID, commons.ENOTFOUND, commons.ECONFLICT:
		msg := commons.ErrorMessage(err)
		for _, f := range commons.ErrorFields(err) {
			msg = f.Message
		}
		return s.renderOps(w, r, http.StatusUnprocessableEntity, map[string]string{field: msg}, map[string]string{field: r.PostForm.Get(field)})
	}
	return err
}

// Harvest is a publiccode.yml the instance re-reads, as the operator
// page shows it.
type Harvest struct {
	URL     string    // as listed: the file or its repository
	FileURL string    // the file read
	Record  string    // slug of the record it fills
	OKAt    time.Time // the last successful read (zero: never)
	NextAt  time.Time // the next read
	Result  string    // created, updated, unchanged, not-modified or failed
	Error   string    // why the last read failed
}

// Harvests lists, adds and removes the files the instance re-reads.
type Harvests interface {
	Harvests(ctx context.Context) ([]Harvest, error)
	// HarvestOf returns the listed file that fills a record: ENOTFOUND if
	// none does.
	HarvestOf(ctx context.Context, slug string) (*Harvest, error)
	AddHarvest(ctx context.Context, url string) error
	RemoveHarvest(ctx context.Context, url string) error
}

// handleOpsHarvestAdd lists a publiccode.yml (or a repository) to re-read.
func (s *server) handleOpsHarvestAdd(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	if s.harvests == nil {
		return commons.Errorf(commons.ENOTFOUND, "This instance does not harvest publiccode.yml files.")
	}
	u := strings.TrimSpace(r.PostForm.Get("harvest"))
	return s.opsResult(w, r, s.harvests.AddHarvest(r.Context(), u), "harvest", "harvest")
}

// handleOpsHarvestRemove stops re-reading a file; its record stays.
func (s *server) handleOpsHarvestRemove(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	if s.harvests == nil {
		return commons.Errorf(commons.ENOTFOUND, "This instance does not harvest publiccode.yml files.")
	}
	if err := s.harvests.RemoveHarvest(r.Context(), r.PostForm.Get("url")); err != nil {
		return err
	}
	http.Redirect(w, r, "/ops?done=harvest", http.StatusSeeOther)
	return nil
}

func (s *server) needOperator() error {
	if s.op == nil {
		return commons.Errorf(commons.ENOTFOUND, "This instance does not federate.")
	}
	return nil
}

// handleOpsPeerFollow asks another instance to let this one follow it.
func (s *server) handleOpsPeerFollow(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	if err := s.needOperator(); err != nil {
		return err
	}
	target := strings.TrimSpace(r.PostForm.Get("target"))
	if target == "" {
		return s.opsResult(w, r, commons.Errorf(commons.EINVALID, "%s", translate(pageLanguage(r), "ops.needtarget")), "target", "")
	}
	_, err := s.op.FollowPeer(r.Context(), target)
	return s.opsResult(w, r, err, "target", "peer")
}

// handleOpsPeerAction approves, rejects, syncs or unfollows a peer.
func (s *server) handleOpsPeerAction(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	if err := s.needOperator(); err != nil {
		return err
	}
	host, action := mux.Vars(r)["host"], mux.Vars(r)["action"]
	var err error
	switch action {
	case "approve":
		err = s.op.ApprovePeer(r.Context(), host)
	case "reject":
		err = s.op.RejectPeer(r.Context(), host)
	case "sync":
		err = s.op.SyncPeer(r.Context(), host)
	case "unfollow":
		err = s.op.UnfollowPeer(r.Context(), host)
	}
	switch commons.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/ops?done=peer", http.StatusSeeOther)
		return nil
	case commons.EPRECONDITION, commons.ECONFLICT, commons.EINVALID:
		// Not possible in the peer's state (sync before the peer accepted):
		// say so above the table.
		return s.renderOps(w, r, http.StatusConflict, map[string]string{"peers": host + ": " + commons.ErrorMessage(err)}, nil)
	}
	return err
}

// handleOpsBlock blocks one domain.
func (s *server) handleOpsBlock(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	if err := s.needOperator(); err != nil {
		return err
	}
	b := commons.DomainBlock{Domain: strings.TrimSpace(r.PostForm.Get("domain")), Severity: "suspend", Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	return s.opsResult(w, r, s.op.BlockDomain(r.Context(), b), "domain", "blocked")
}

// handleOpsBlockImport blocks every domain of a Mastodon domain-block CSV
// pasted into the form.
func (s *server) handleOpsBlockImport(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	if err := s.needOperator(); err != nil {
		return err
	}
	blocks, err := commons.ParseDomainBlocksCSV(strings.NewReader(r.PostForm.Get("csv")))
	if err != nil {
		return s.opsResult(w, r, err, "csv", "")
	}
	for _, b := range blocks {
		if err := s.op.BlockDomain(r.Context(), b); err != nil {
			return s.opsResult(w, r, err, "csv", "")
		}
	}
	return s.opsResult(w, r, nil, "csv", "imported")
}

// handleOpsUnblock lifts a domain block.
func (s *server) handleOpsUnblock(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	if err := s.needOperator(); err != nil {
		return err
	}
	if err := s.op.UnblockDomain(r.Context(), r.PostForm.Get("domain")); err != nil {
		return err
	}
	http.Redirect(w, r, "/ops?done=unblocked", http.StatusSeeOther)
	return nil
}

// usersView is the operators' page of users and tokens.
type usersView struct {
	Users  []*commons.User
	Roles  []string
	Tokens []commons.Token // live tokens, never their secrets
	Token  string          // a token just created, shown once
	Owner  string
	Errors map[string]string
	Values map[string]string
}

// handleOpsUsers lists users (GET) or adds one (POST).
func (s *server) handleOpsUsers(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	if r.Method != http.MethodPost {
		return s.renderUsers(w, r, http.StatusOK, usersView{})
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	_, err := s.dir.CreateUser(r.Context(), name, r.PostForm.Get("role"), r.PostForm.Get("password"))
	if err == nil {
		http.Redirect(w, r, "/ops/users?done=user", http.StatusSeeOther)
		return nil
	}
	v := usersView{Errors: map[string]string{}, Values: map[string]string{"name": name}}
	switch commons.ErrorCode(err) {
	case commons.EINVALID:
		for _, f := range commons.ErrorFields(err) {
			v.Errors["new-"+f.Field] = f.Message
		}
	case commons.ECONFLICT:
		v.Errors["new-name"] = commons.ErrorMessage(err)
	default:
		return err
	}
	return s.renderUsers(w, r, http.StatusUnprocessableEntity, v)
}

func (s *server) renderUsers(w http.ResponseWriter, r *http.Request, status int, v usersView) error {
	users, err := s.dir.Users(r.Context())
	if err != nil {
		return err
	}
	tokens, err := s.dir.Tokens(r.Context())
	if err != nil {
		return err
	}
	d := s.newPage(w, r, "")
	d.Title = d.T("users.title")
	v.Users, v.Roles, v.Tokens = users, commons.Roles, tokens
	d.Body = v
	return s.render(w, r, status, "users", d)
}

// handleOpsUserChange changes a user's role or password.
func (s *server) handleOpsUserChange(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	name := mux.Vars(r)["name"]
	var err error
	done := "role"
	if pw := r.PostForm.Get("password"); pw != "" {
		err, done = s.dir.SetPassword(r.Context(), name, pw), "password"
	} else {
		err = s.dir.SetRole(r.Context(), name, r.PostForm.Get("role"))
	}
	if err == nil {
		http.Redirect(w, r, "/ops/users?done="+done, http.StatusSeeOther)
		return nil
	}
	if commons.ErrorCode(err) != commons.EINVALID {
		return err
	}
	msg := commons.ErrorMessage(err)
	for _, f := range commons.ErrorFields(err) {
		msg = f.Message
	}
	return s.renderUsers(w, r, http.StatusUnprocessableEntity, usersView{Errors: map[string]string{name: msg}})
}

// handleOpsTokenCreate creates an API token and shows it once.
func (s *server) handleOpsTokenCreate(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	owner := r.PostForm.Get("user")
	tok, err := s.dir.CreateToken(r.Context(), owner, strings.TrimSpace(r.PostForm.Get("label")))
	if err != nil {
		if c := commons.ErrorCode(err); c != commons.EINVALID && c != commons.ENOTFOUND {
			return err
		}
		return s.renderUsers(w, r, http.StatusUnprocessableEntity, usersView{Errors: map[string]string{"token": commons.ErrorMessage(err)}})
	}
	return s.renderUsers(w, r, http.StatusOK, usersView{Token: tok, Owner: owner})
}

// handleOpsTokenRevoke revokes a token of the list (by its id) or the
// secret pasted into the form.
func (s *server) handleOpsTokenRevoke(w http.ResponseWriter, r *http.Request, _ *commons.User) error {
	var err error
	if id := r.PostForm.Get("id"); id != "" {
		n, perr := strconv.ParseInt(id, 10, 64)
		if perr != nil {
			return commons.Errorf(commons.EINVALID, "bad token id %q", id)
		}
		err = s.dir.RevokeTokenID(r.Context(), n)
	} else {
		err = s.dir.RevokeToken(r.Context(), strings.TrimSpace(r.PostForm.Get("token")))
	}
	if err == nil {
		http.Redirect(w, r, "/ops/users?done=revoked", http.StatusSeeOther)
		return nil
	}
	if commons.ErrorCode(err) != commons.ENOTFOUND {
		return err
	}
	return s.renderUsers(w, r, http.StatusUnprocessableEntity, usersView{Errors: map[string]string{"revoke": commons.ErrorMessage(err)}})
}
