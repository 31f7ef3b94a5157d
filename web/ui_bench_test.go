package web

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkUIPages measures the pages a visitor opens most, through a
// real loopback server and store (go test -bench UIPages ./web/).
func BenchmarkUIPages(b *testing.B) {
	s := newTestServer(b, nil, nil)
	seedUIRecords(b, s)
	for _, path := range []string{"/", "/?q=map&kind=geodata", "/records/osm", "/funding", "/stats"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, _ := http.NewRequest("GET", s.URL+path, nil)
				r.Header.Set("Accept", "text/html")
				resp, err := s.client.Do(r)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body) //nolint:errcheck // drained for reuse
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", path, resp.StatusCode)
				}
			}
		})
	}
}
