package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commons-directory/commons"
)

func noEnv(string) string { return "" }

// The example documents every key with its default: loading it must give
// exactly DefaultConfig, and every key of Config must appear in it.
func TestConfigExample(t *testing.T) {
	cfg, err := LoadConfig("../../config.example.toml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, DefaultConfig()) {
		t.Errorf("config.example.toml differs from DefaultConfig:\n got %+v\nwant %+v", cfg, DefaultConfig())
	}
	b, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	var def Config = DefaultConfig()
	for _, k := range configKeys(&def) {
		if !strings.Contains(string(b), "\n"+k.key+" = ") {
			t.Errorf("config.example.toml does not document %s.%s", k.section, k.key)
		}
	}
}

func TestConfigEnv(t *testing.T) {
	env := map[string]string{
		"COMMONSD_SERVER_LISTEN":             "127.0.0.1:9999",
		"COMMONSD_SERVER_BASE_URL":           "https://commons.example.eu",
		"COMMONSD_STORE_PATH":                "/var/lib/commonsd/commons.db",
		"COMMONSD_SERVER_READ_TIMEOUT":       "5s",
		"COMMONSD_SERVER_MAX_BODY_BYTES":     "2048",
		"COMMONSD_DEMO_LOAD_WHEN_EMPTY":      "false",
		"COMMONSD_FEDERATION_RETRY_SCHEDULE": "1s, 2m",
		"COMMONSD_METRICS_TOKEN":             "a-metrics-token-for-tests",
		"COMMONSD_METRICS_LISTEN":            "10.0.0.5:9464",
		"COMMONSD_STORE_DRIVER":              "postgres",
		"COMMONSD_STORE_URL":                 "postgres://commonsd:secret@db.internal/commons",
	}
	cfg, err := LoadConfig("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Listen != "127.0.0.1:9999" || cfg.Server.BaseURL != "https://commons.example.eu" ||
		cfg.Store.Path != "/var/lib/commonsd/commons.db" || cfg.Server.ReadTimeout.Duration != 5*time.Second ||
		cfg.Store.Driver != "postgres" || cfg.Store.URL != "postgres://commonsd:secret@db.internal/commons" ||
		cfg.Server.MaxBodyBytes != 2048 || cfg.Demo.LoadWhenEmpty ||
		len(cfg.Federation.RetrySchedule) != 2 || cfg.Federation.RetrySchedule[1].Duration != 2*time.Minute ||
		cfg.Metrics.Token != "a-metrics-token-for-tests" || cfg.Metrics.Listen != "10.0.0.5:9464" {
		t.Errorf("environment not applied: %+v", cfg)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, file string
		env        map[string]string
		want       string
	}{
		{"UnknownKey", "[server]\nlisen = \"x\"\n", nil, "unknown key server.lisen"},
		{"Syntax", "[server]\nlisten = \n", nil, "config.toml:2"},
		{"WrongType", "[server]\nmax_body_bytes = \"big\"\n", nil, "max_body_bytes"},
		{"BadDuration", "[server]\nread_timeout = \"soon\"\n", nil, "read_timeout"},
		{"BaseURLPath", "[server]\nbase_url = \"https://x.eu/dir\"\n", nil, "server.base_url"},
		{"HTTPPublic", "[server]\nbase_url = \"http://commons.example.eu\"\n", nil, "http is allowed only on loopback"},
		{"Listen", "[server]\nlisten = \"8080\"\n", nil, "server.listen"},
		{"LogLevel", "[log]\nlevel = \"loud\"\n", nil, "log.level"},
		{"EnvBool", "", map[string]string{"COMMONSD_DEMO_LOAD_WHEN_EMPTY": "maybe"}, "COMMONSD_DEMO_LOAD_WHEN_EMPTY"},
		{"EnvSchedule", "", map[string]string{"COMMONSD_FEDERATION_RETRY_SCHEDULE": "1s,later"}, "COMMONSD_FEDERATION_RETRY_SCHEDULE"},
		{"EmptySchedule", "[federation]\nretry_schedule = []\n", nil, "federation.retry_schedule"},
		{"EnvInt", "", map[string]string{"COMMONSD_SERVER_MAX_BODY_BYTES": "1k"}, "COMMONSD_SERVER_MAX_BODY_BYTES"},
		{"MetricsListen", "[metrics]\nlisten = \"9464\"\n", nil, "metrics.listen"},
		{"MetricsListenMain", "[server]\nlisten = \"127.0.0.1:8080\"\n[metrics]\nlisten = \"127.0.0.1:8080\"\n", nil, "metrics.listen"},
		{"MetricsShortToken", "", map[string]string{"COMMONSD_METRICS_TOKEN": "short-secret"}, "metrics.token: must be at least 16"},
		{"AccentLight", "[site]\naccent_colour = \"#7fb3ff\"\n", nil, "site.accent_colour: #7fb3ff has a contrast of 2.1"},
		{"AccentDark", "[site]\naccent_colour_dark = \"#0b57d0\"\n", nil, "site.accent_colour_dark: #0b57d0 has a contrast of"},
		{"AccentEnv", "", map[string]string{"COMMONSD_SITE_ACCENT_COLOUR": "navy"}, "site.accent_colour: \"navy\" is not a colour"},
		{"Logo", "[site]\nlogo = \"/nonexistent/logo.png\"\n", nil, "site.logo"},
		{"LogoHTTP", "[site]\nlogo = \"http://agency.example/logo.png\"\n", nil, "site.logo"},
		{"Contact", "[site]\ncontact = \"call us\"\n", nil, "site.contact"},
		{"A11yStatus", "[site]\naccessibility_status = \"mostly\"\n", nil, "site.accessibility_status"},
		{"A11yDate", "[site]\naccessibility_date = \"31/03/2026\"\n", nil, "site.accessibility_date"},
		{"Enforcement", "[site]\naccessibility_enforcement = \"mailto:x@y.eu\"\n", nil, "site.accessibility_enforcement"},
		{"OperatorLang", "[site]\noperator = { EN = \"Agency\" }\n", nil, "site.operator"},
		{"StoreDriver", "[store]\ndriver = \"mysql\"\n", nil, `store.driver: "mysql" is not one of sqlite, postgres`},
		{"StoreNoURL", "", map[string]string{"COMMONSD_STORE_DRIVER": "postgres"}, "store.url: must not be empty"},
		{"StoreURL", "[store]\ndriver = \"postgres\"\nurl = \"mysql://db/x\"\n", nil, "store.url: must be a postgres://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = filepath.Join(t.TempDir(), "config.toml")
				if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := LoadConfig(path, func(k string) string { return tt.env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "short-secret") {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
}

// TestConfigInstanceTexts reads the instance name and description as a
// string (the old form, in the instance language) or as a table of
// language → text, from the file and from the environment.
// TestConfigSite reads a whole [site] section, logo file included, into
// what the pages show.
func TestConfigSite(t *testing.T) {
	dir := t.TempDir()
	logo := filepath.Join(dir, "logo.svg")
	if err := os.WriteFile(logo, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.toml")
	file := "[site]\nshort_name = { en = \"Commons\", mt = \"Komuni\" }\nlogo = " + strconv.Quote(logo) +
		"\naccent_colour = \"#1d5c3a\"\naccent_colour_dark = \"#9ad7b0\"\noperator = \"Digital Agency\"\ncontact = \"https://agency.example/contact\"\n" +
		"accessibility_status = \"full\"\naccessibility_date = \"2026-03-31\"\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	site, err := cfg.Site.webSite(cfg.Server.Language)
	if err != nil {
		t.Fatal(err)
	}
	if site.ShortName["mt"] != "Komuni" || site.Operator["en"] != "Digital Agency" || site.LogoType != "image/svg+xml" ||
		len(site.LogoFile) == 0 || site.Accent != "#1d5c3a" || site.Accessibility.Status != "full" || site.Accessibility.Date != "2026-03-31" {
		t.Errorf("site = %+v", site)
	}
}

func TestConfigInstanceTexts(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg, err := LoadConfig(write("[server]\nlanguage = \"fr\"\ninstance_name = \"Annuaire\"\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Server.InstanceName.Map("fr"); !reflect.DeepEqual(got, commons.Text{"fr": "Annuaire"}) {
		t.Errorf("string form: %v", got)
	}
	cfg, err = LoadConfig(write("[server]\nlanguage = \"mt\"\ninstance_name = { en = \"Commons of Malta\", mt = \"Komuni ta' Malta\" }\n"+
		"[server.description]\nen = \"Maltese commons.\"\nmt = \"Komuni Maltin.\"\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Server.InstanceName.In("mt"); got != "Komuni ta' Malta" {
		t.Errorf("table form, mt: %q", got)
	}
	if got := cfg.Server.InstanceName.In("en"); got != "Commons of Malta" {
		t.Errorf("table form, en: %q", got)
	}
	if got := cfg.Server.Description.Map("mt"); len(got) != 2 || got["en"] != "Maltese commons." {
		t.Errorf("description table: %v", got)
	}
	env := map[string]string{"COMMONSD_SERVER_INSTANCE_NAME": `{"en": "Commons", "ga": "Comhchoiteann"}`}
	cfg, err = LoadConfig("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Server.InstanceName.In("ga"); got != "Comhchoiteann" {
		t.Errorf("environment JSON: %q", got)
	}
	for _, tt := range []struct{ body, want string }{
		{"[server]\ninstance_name = { \"EN\" = \"x\" }\n", `server.instance_name: "EN" is not a canonical BCP 47 language tag`},
		{"[server]\ninstance_name = { en = \"\" }\n", "server.instance_name: en: must not be empty"},
		{"[server]\ninstance_name = { en = 3 }\n", "instance_name"},
		{"[server]\ninstance_name = { fr = \"Annuaire\" }\nlanguage = \"en\"\n", ""},
	} {
		_, err := LoadConfig(write(tt.body), noEnv)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.body, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: error %v, want %q", tt.body, err, tt.want)
		}
	}
}

// TestUnknownEnvironment checks that a COMMONSD_* variable that is neither
// a key nor a tool's stops commonsd with one line naming it, and that the
// keys and the tools' variables do not.
func TestUnknownEnvironment(t *testing.T) {
	for _, tt := range []struct {
		environ []string
		want    string // in the error; "" for none
	}{
		{[]string{"PATH=/bin", "COMMONSD_SERVER_LISTEN=127.0.0.1:1", "COMMONSD_CONFIG=x.toml", "COMMONSD_SCREENSHOTS=/tmp",
			"COMMONSD_TEST_MAIN=1", "COMMONSD_BENCH_RECORDS=10", "COMMONSD_FEDERATION_RETRY_SCHEDULE=1s"}, ""},
		{[]string{"COMMONSD_SERVER_LISTN=127.0.0.1:1"}, "COMMONSD_SERVER_LISTN"},
		{[]string{"COMMONSD_STORE_PATH=a.db", "COMMONSD_ZZZ=1", "COMMONSD_LISTEN=:80"}, "COMMONSD_LISTEN"}, // the first in order
		{[]string{"COMMONSD_=1"}, "variable COMMONSD_:"},
		{[]string{"COMMONSD_server_listen=x"}, "COMMONSD_server_listen"}, // names are upper case
	} {
		err := checkEnviron(tt.environ)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.environ, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: %v, want an error naming %s", tt.environ, err, tt.want)
		}
	}

	// The real process: one line on stderr, a failure exit, nothing run.
	cmd := exec.Command(os.Args[0], "version")
	cmd.Env = append(os.Environ(), "COMMONSD_TEST_MAIN=1", "COMMONSD_SERVER_LISTN=127.0.0.1:1")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Errorf("commonsd version with COMMONSD_SERVER_LISTN: %v", err)
	}
	if lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "COMMONSD_SERVER_LISTN") {
		t.Errorf("stderr:\n%s\nwant one line naming COMMONSD_SERVER_LISTN", stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %q", stdout.String())
	}
}
