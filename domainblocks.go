package commons

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ParseDomainBlocksCSV reads a domain block list in Mastodon's export
// format — a header row "#domain,#severity,#reject_media,…" then one row per
// domain — or a plain list of domains, one per line. Rows with severity
// "noop" (Mastodon's "no restriction") are left out; "silence" is read as
// "suspend", the only block a directory has. An error names the line.
func ParseDomainBlocksCSV(r io.Reader) ([]DomainBlock, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cols := map[string]int{"domain": 0, "severity": -1, "public_comment": -1}
	var out []DomainBlock
	for line := 1; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, Errorf(EINVALID, "domain blocks CSV: line %d: %v", line, err)
		}
		if len(row) == 0 || strings.TrimSpace(row[0]) == "" {
			continue
		}
		if line == 1 && strings.HasPrefix(strings.TrimSpace(row[0]), "#") || line == 1 && strings.EqualFold(strings.TrimSpace(row[0]), "domain") {
			for i, c := range row {
				name := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(c), "#"))
				if _, known := cols[name]; known {
					cols[name] = i
				}
			}
			if cols["domain"] != 0 && row[0] != "" {
				return nil, Errorf(EINVALID, "domain blocks CSV: line 1: the first column must be #domain")
			}
			continue
		}
		get := func(name string) string {
			if i := cols[name]; i >= 0 && i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		domain := strings.ToLower(get("domain"))
		if domain == "" || strings.ContainsAny(domain, " /@?#") {
			return nil, Errorf(EINVALID, "domain blocks CSV: line %d: #domain: %q is not a domain name", line, domain)
		}
		switch sev := strings.ToLower(get("severity")); sev {
		case "noop":
			continue
		case "", "suspend", "silence":
		default:
			return nil, Errorf(EINVALID, "domain blocks CSV: line %d: #severity: %q is not suspend, silence or noop", line, sev)
		}
		out = append(out, DomainBlock{Domain: domain, Severity: "suspend", Reason: get("public_comment")})
	}
	if len(out) == 0 {
		return nil, Errorf(EINVALID, "domain blocks CSV: no domain to block")
	}
	return out, nil
}

// String is the block as one line, for the CLI.
func (b DomainBlock) String() string { return fmt.Sprintf("%s (%s)", b.Domain, b.Severity) }
