// Package publiccode reads and writes publiccode.yml, the metadata file
// that public-sector software keeps at the root of its repository
// (https://github.com/publiccodeyml/publiccode.yml), and maps it to and
// from commons.Record following the table in the reference
// (commons-directories.md §3).
//
// Parse agrees with the reference parser, italia/publiccode-parser-go v5,
// version for version: it reads "0" and 0.2 to 0.7 with the rules of the
// latest v0 schema, refuses what the reference refuses and warns where it
// warns (docs/PUBLICCODE.md lists the rules). The reference cannot be
// required (the Go module proxy refuses its versions), so Parse walks the
// YAML node tree itself with gopkg.in/yaml.v3, which keeps line numbers:
// every problem names its line and key, a key written twice names both
// lines, aliases and merge keys are resolved. Its network checks (that
// `url` is a reachable repository, that logos load) are not done, as they
// are off in the reference's offline mode too. Keys that have no place in
// a record, and values cut to what a record holds, are warnings.
//
// The package owns no storage and no HTTP client: Import works on any Store
// (*store.DB in production), and Fetch and FetchIfChanged use the client
// they are handed, the federation's guarded one, so a URL cannot reach the
// internal network. FileURLs says where a repository keeps its file.
package publiccode
