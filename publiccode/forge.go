package publiccode

import (
	"net/url"
	"strings"
)

// FileURLs returns the URLs to read a listed source's publiccode.yml at,
// in the order to try them. A URL that names a .yml or .yaml file is read
// as it is. A repository's URL gives its forge's raw file at the default
// branch (HEAD):
//
//   - GitHub (github.com): https://raw.githubusercontent.com/OWNER/REPO/HEAD/publiccode.yml
//   - GitLab (gitlab.com and any host named gitlab.*): REPO/-/raw/HEAD/publiccode.yml
//   - Bitbucket (bitbucket.org): REPO/raw/HEAD/publiccode.yml
//   - any other forge (Codeberg, Gitea, Forgejo, …): REPO/raw/HEAD/publiccode.yml,
//     then REPO/raw/branch/main/publiccode.yml and REPO/raw/branch/master/publiccode.yml
//
// and each of them again with publiccode.yaml, the other name the
// standard allows. A trailing ".git" or "/" of the repository is dropped.
func FileURLs(source string) []string {
	u, err := url.Parse(strings.TrimSpace(source))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return []string{source}
	}
	p := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), ".git")
	if strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml") {
		return []string{source}
	}
	u.RawQuery, u.Fragment, u.Path, u.RawPath = "", "", p, ""
	repo := u.String()
	host := strings.ToLower(u.Hostname())
	var bases []string
	switch {
	case host == "github.com" || host == "www.github.com":
		bases = []string{"https://raw.githubusercontent.com" + p + "/HEAD/"}
	case host == "gitlab.com" || strings.HasPrefix(host, "gitlab."):
		bases = []string{repo + "/-/raw/HEAD/"}
	case host == "bitbucket.org":
		bases = []string{repo + "/raw/HEAD/"}
	default:
		bases = []string{repo + "/raw/HEAD/", repo + "/raw/branch/main/", repo + "/raw/branch/master/"}
	}
	var out []string
	for _, name := range []string{"publiccode.yml", "publiccode.yaml"} {
		for _, b := range bases {
			out = append(out, b+name)
		}
	}
	return out
}
