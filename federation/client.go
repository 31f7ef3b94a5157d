package federation

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/commons-directory/commons"
)

// ClientOptions configures the one HTTP client of the federation.
type ClientOptions struct {
	// AllowPrivate permits requests to loopback, private, link-local and
	// other non-public addresses. Tests and `commonsd demo` set it; a
	// production instance must not, or a remote actor could make us fetch
	// from the internal network (SSRF).
	AllowPrivate bool
	Timeout      time.Duration // whole request; default 15 s
	UserAgent    string
}

// MaxResponseBytes bounds every document we fetch.
const MaxResponseBytes = 1 << 20

// newHTTPClient returns a client whose dialer refuses non-public addresses
// after name resolution (so DNS rebinding cannot slip past a check made
// before it), that follows at most three redirects, and that times out.
func newHTTPClient(o ClientOptions) *http.Client {
	if o.Timeout == 0 {
		o.Timeout = 15 * time.Second
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !o.AllowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("dial %s: %w", address, err)
			}
			if !isPublic(ap.Addr()) {
				return &commons.Error{Code: EBLOCKEDADDR, Message: fmt.Sprintf("refusing to connect to non-public address %s", ap.Addr())}
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                  nil, // a proxy would bypass the address guard
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    16,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    5 * time.Second,
		ResponseHeaderTimeout:  10 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("stopped after 3 redirects")
			}
			return nil
		},
	}
}

// EBLOCKEDADDR is the code of a request refused by the address guard.
const EBLOCKEDADDR = commons.EFORBIDDEN

// isPublic reports whether a is a globally routable unicast address.
func isPublic(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// nonPublic are reserved ranges that netip's predicates do not cover.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64 can reach IPv4 private space
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001:db8::/32"), // documentation
	netip.MustParsePrefix("2002::/16"),     // 6to4 embeds any IPv4 address
}

// readLimited reads at most MaxResponseBytes of r, failing beyond.
func readLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxResponseBytes {
		return nil, commons.Errorf(commons.ETOOLARGE, "response larger than %d bytes", MaxResponseBytes)
	}
	return b, nil
}
