// Package publiccode reads and writes publiccode.yml, the metadata file
// that public-sector software keeps at the root of its repository
// (https://github.com/publiccodeyml/publiccode.yml), and maps it to and
// from commons.Record following the table in the reference
// (commons-directories.md §3).
//
// The upstream parser, italia/publiccode-parser-go, cannot be fetched here,
// so Parse walks the YAML node tree itself (gopkg.in/yaml.v3 keeps line
// numbers) and checks the keys the standard requires for versions 0.2 to
// 0.4. Every problem names its line and key; keys that have no place in a
// record are returned as warnings rather than dropped silently.
//
// The package owns no storage and no HTTP client: Import works on any Store
// (*store.DB in production), and Fetch uses the client it is handed, the
// federation's guarded one, so a URL cannot reach the internal network.
package publiccode
