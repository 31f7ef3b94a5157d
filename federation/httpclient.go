package federation

import "net/http"

// NewHTTPClient returns the guarded client the federation itself uses: it
// refuses non-public addresses after name resolution (unless
// o.AllowPrivate), follows at most three redirects and times out. Other
// packages that fetch what a user names — a publiccode.yml by URL — use it
// so that no request of ours reaches the internal network.
func NewHTTPClient(o ClientOptions) *http.Client { return newHTTPClient(o) }
