// Package publiccode reads and writes publiccode.yml, the metadata file
// that public-sector software keeps at the root of its repository
// (https://github.com/publiccodeyml/publiccode.yml), and maps it to and
// from commons.Record following the table in the reference
// (commons-directories.md §3).
//
// The issue names the upstream parser, italia/publiccode-parser-go v4.0.0,
// but the Go module proxy refuses it: checked on 2026-11-23, v4.0.0's .info
// resolves while its .mod answers 403 ("This module version is not
// available"), and v4.5.0 and every v5 answer 403 outright, so no version
// can be required. Parse therefore walks the YAML node tree itself with
// gopkg.in/yaml.v3 (which keeps line numbers) and checks the keys the
// standard requires for versions 0.2 to 0.4. Its network checks (that
// `url` is a reachable repository, that logos load) are not done, as they
// are off in the upstream parser's offline mode too. Every problem names its line and key; keys that have no place in a
// record are returned as warnings rather than dropped silently.
//
// The package owns no storage and no HTTP client: Import works on any Store
// (*store.DB in production), and Fetch uses the client it is handed, the
// federation's guarded one, so a URL cannot reach the internal network.
package publiccode
