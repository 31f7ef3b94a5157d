package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/commons-directory/commons"
	"github.com/commons-directory/commons/federation"
	"github.com/commons-directory/commons/store"
	"github.com/commons-directory/commons/web"
)

// Config is the whole configuration of one instance. config.example.toml
// mirrors it key for key; TestConfigExample keeps the two in step. Every key
// can be overridden by an environment variable COMMONSD_<SECTION>_<KEY>,
// e.g. COMMONSD_SERVER_LISTEN.
type Config struct {
	Server     Server     `toml:"server"`
	Site       Site       `toml:"site"`
	Store      Store      `toml:"store"`
	Federation Federation `toml:"federation"`
	Harvest    Harvest    `toml:"harvest"`
	Metrics    Metrics    `toml:"metrics"`
	Log        Log        `toml:"log"`
	Demo       Demo       `toml:"demo"`
}

// Server configures the HTTP listener and the instance's public identity.
type Server struct {
	Listen          string   `toml:"listen"`
	BaseURL         string   `toml:"base_url"`
	InstanceName    LangText `toml:"instance_name"`
	Description     LangText `toml:"description"`
	Language        string   `toml:"language"`
	MaxBodyBytes    int64    `toml:"max_body_bytes"`
	ReadTimeout     Duration `toml:"read_timeout"`
	WriteTimeout    Duration `toml:"write_timeout"`
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
}

// Store configures the database.
type Store struct {
	Driver string `toml:"driver"` // "sqlite" (the default) or "postgres"
	Path   string `toml:"path"`   // sqlite: the database file
	URL    string `toml:"url"`    // postgres: postgres://user:password@host:port/database
}

// options are the store.Options of the configured store.
func (s Store) options(baseURL string, logger *slog.Logger) store.Options {
	return store.Options{Driver: s.Driver, Path: s.Path, URL: s.URL, BaseURL: baseURL, Logger: logger}
}

// name names the database in messages: the file, or the server and
// database without the password.
func (s Store) name() string {
	if s.Driver != store.DriverPostgres {
		return s.Path
	}
	if u, err := url.Parse(s.URL); err == nil {
		return u.Redacted()
	}
	return "the PostgreSQL database"
}

// Federation configures ActivityPub.
type Federation struct {
	AllowPrivateAddresses bool      `toml:"allow_private_addresses"`
	DeliveryWorkers       int       `toml:"delivery_workers"`
	DeliveryLease         Duration  `toml:"delivery_lease"`
	RetrySchedule         Durations `toml:"retry_schedule"`
	PeerPolicy            string    `toml:"peer_policy"`
	SyncInterval          Duration  `toml:"sync_interval"`
	InboxRate             int       `toml:"inbox_rate"`
	InboxBurst            int       `toml:"inbox_burst"`
	AuthorizedFetch       bool      `toml:"authorized_fetch"`
}

// Harvest configures the re-reading of listed publiccode.yml files.
type Harvest struct {
	Interval Duration `toml:"interval"`
	Poll     Duration `toml:"poll"`
	List     string   `toml:"list"`
}

// Metrics configures /metrics, off unless Listen or Token is set.
type Metrics struct {
	// Listen serves /metrics, without authentication, on a listener of
	// its own: bind it to a private address.
	Listen string `toml:"listen"`
	// Token serves /metrics on the main listener to requests with
	// "Authorization: Bearer <token>".
	Token string `toml:"token"`
	// Process is the "process" label of every metric; default
	// HOSTNAME:PID.
	Process string `toml:"process"`
}

// on reports whether metrics are measured at all.
func (m Metrics) on() bool { return m.Listen != "" || m.Token != "" }

// minMetricsToken is the shortest metrics.token accepted.
const minMetricsToken = 16

// Durations is a list of durations: a TOML array of strings, or in the
// environment a comma-separated list ("5m,10m,1h").
type Durations []Duration

// parseList reads the comma-separated form of the environment. (It is not
// UnmarshalText: TOML must still read the array form.)
func (ds *Durations) parseList(s string) error {
	var out Durations
	for _, part := range strings.Split(s, ",") {
		var d Duration
		if err := d.UnmarshalText([]byte(strings.TrimSpace(part))); err != nil {
			return err
		}
		out = append(out, d)
	}
	*ds = out
	return nil
}

// Values returns the plain durations.
func (ds Durations) Values() []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Duration
	}
	return out
}

// Log configures the structured log written to standard error.
type Log struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// Demo configures the demo directory loaded into an empty database.
type Demo struct {
	LoadWhenEmpty bool `toml:"load_when_empty"`
}

// LangText is a text of the instance in one language or in several: in
// TOML a string (in server.language) or a table of BCP 47 tag → text
// (instance_name = { en = "…", fr = "…" }); in the environment a string,
// or a JSON object for several languages.
type LangText struct {
	One   string       // the single text, in server.language
	Texts commons.Text // the texts by language
}

// UnmarshalTOML implements toml.Unmarshaler.
func (t *LangText) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*t = LangText{One: v}
		return nil
	case map[string]any:
		texts := commons.Text{}
		for k, e := range v {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("%s: %v is not a string", k, e)
			}
			texts[k] = s
		}
		*t = LangText{Texts: texts}
		return nil
	}
	return fmt.Errorf("%v is neither a string nor a table of language → text", v)
}

// parseEnv reads the environment's form: a JSON object of language →
// text, or any other string as the single text.
func (t *LangText) parseEnv(s string) error {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		*t = LangText{One: s}
		return nil
	}
	var texts commons.Text
	if err := json.Unmarshal([]byte(s), &texts); err != nil {
		return fmt.Errorf("%q is not a JSON object of language → text: %w", s, err)
	}
	*t = LangText{Texts: texts}
	return nil
}

// check names a tag that is not a canonical BCP 47 tag, or an empty text.
func (t LangText) check() error {
	for _, k := range t.Texts.Languages() {
		if l, err := commons.CanonicalLanguage(k); err != nil || l != k {
			return fmt.Errorf("%q is not a canonical BCP 47 language tag such as en, fr or pt-BR", k)
		}
		if strings.TrimSpace(t.Texts[k]) == "" {
			return fmt.Errorf("%s: must not be empty", k)
		}
	}
	return nil
}

// In is the text in lang (or the nearest language it has), or the single
// text.
func (t LangText) In(lang string) string {
	if len(t.Texts) > 0 {
		s, _ := t.Texts.Get(lang)
		return s
	}
	return t.One
}

// Map is the texts by language; the single text counts as lang's.
func (t LangText) Map(lang string) commons.Text {
	if len(t.Texts) > 0 {
		return t.Texts
	}
	if t.One == "" {
		return nil
	}
	return commons.Text{lang: t.One}
}

// Duration is a time.Duration written as "10s" in TOML and environment.
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 10s or 1m30s", b)
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// DefaultConfig is what an instance runs with when no file sets a key: a
// development server on loopback with an embedded SQLite database in ./data.
func DefaultConfig() Config {
	return Config{
		Server: Server{
			Listen:          "127.0.0.1:8080",
			BaseURL:         "http://127.0.0.1:8080",
			InstanceName:    LangText{One: "Commons Directory"},
			Description:     LangText{One: "A directory of digital commons, federated with its peers over ActivityPub."},
			Language:        "en",
			MaxBodyBytes:    1 << 20,
			ReadTimeout:     Duration{30 * time.Second},
			WriteTimeout:    Duration{60 * time.Second},
			ShutdownTimeout: Duration{15 * time.Second},
		},
		Site:  Site{AccessibilityStatus: "partial"},
		Store: Store{Driver: store.DriverSQLite, Path: "data/commons.db"},
		Federation: Federation{DeliveryWorkers: 16, DeliveryLease: Duration{2 * time.Minute}, RetrySchedule: durations(federation.RetrySchedule),
			PeerPolicy: federation.PolicyApproval, SyncInterval: Duration{time.Hour},
			InboxRate: web.DefaultInboxRate, InboxBurst: web.DefaultInboxBurst},
		Harvest: Harvest{Interval: Duration{24 * time.Hour}, Poll: Duration{time.Minute}},
		Log:     Log{Level: "info", Format: "text"},
		Demo:    Demo{LoadWhenEmpty: true},
	}
}

// LoadConfig reads the TOML file at path (none if path is empty) over the
// defaults, then applies COMMONSD_* variables from getenv, then validates.
// Errors name the file and line, or the variable, or the key.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		md, err := toml.Decode(string(b), &cfg)
		if err != nil {
			var perr toml.ParseError
			if errors.As(err, &perr) {
				if perr.LastKey != "" {
					return cfg, fmt.Errorf("%s:%d: %s: %s", path, perr.Position.Line, perr.LastKey, perr.Message)
				}
				return cfg, fmt.Errorf("%s:%d: %s", path, perr.Position.Line, perr.Message)
			}
			return cfg, fmt.Errorf("%s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return cfg, fmt.Errorf("%s: unknown key %s", path, und[0])
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// toolVars are the COMMONSD_* variables that are not configuration keys:
// COMMONSD_CONFIG names the file (every command reads it), the others are
// read by the tests and benchmarks only (a server ignores them, so a shell
// that exports one for a benchmark may still start one).
var toolVars = map[string]bool{
	"COMMONSD_CONFIG":            true,
	"COMMONSD_TEST_MAIN":         true, // the test binary runs as commonsd (restart_test.go)
	"COMMONSD_SCREENSHOTS":       true, // where the browser tests keep their screenshots
	"COMMONSD_BENCH_ACTIVITIES":  true, // size of the inbox benchmark
	"COMMONSD_BENCH_WRK_SECONDS": true, // length of each wrk run of the inbox benchmark
	"COMMONSD_BENCH_RECORDS":     true, // size of the backfill benchmark
	"COMMONSD_TEST_POSTGRES":     true, // the PostgreSQL server of the tests (store/pgtest)
	"COMMONSD_TEST_STORE":        true, // run the store tests on PostgreSQL only
}

// checkEnviron refuses a COMMONSD_* variable that is neither a
// configuration key nor in toolVars, most often a misspelt key that would
// otherwise be ignored without a word. environ is os.Environ's form.
func checkEnviron(environ []string) error {
	known := map[string]bool{}
	cfg := DefaultConfig()
	for _, k := range configKeys(&cfg) {
		known[envName(k)] = true
	}
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "COMMONSD_") && !known[name] && !toolVars[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return fmt.Errorf("unknown environment variable %s: not a configuration key (COMMONSD_<SECTION>_<KEY>)", unknown[0])
}

func envName(k configKey) string { return "COMMONSD_" + strings.ToUpper(k.section+"_"+k.key) }

// applyEnv overrides every key for which COMMONSD_<SECTION>_<KEY> is set.
func applyEnv(cfg *Config, getenv func(string) string) error {
	for _, k := range configKeys(cfg) {
		name := envName(k)
		v := getenv(name)
		if v == "" {
			continue
		}
		if err := setValue(k.field, v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

type configKey struct {
	section, key string
	field        reflect.Value
}

// configKeys lists every section.key of cfg with a settable field.
func configKeys(cfg *Config) []configKey {
	var keys []configKey
	root := reflect.ValueOf(cfg).Elem()
	for i := range root.NumField() {
		section := root.Type().Field(i).Tag.Get("toml")
		sv := root.Field(i)
		for j := range sv.NumField() {
			keys = append(keys, configKey{section, sv.Type().Field(j).Tag.Get("toml"), sv.Field(j)})
		}
	}
	return keys
}

func setValue(f reflect.Value, v string) error {
	switch p := f.Addr().Interface().(type) {
	case *Duration:
		return p.UnmarshalText([]byte(v))
	case *Durations:
		return p.parseList(v)
	case *LangText:
		return p.parseEnv(v)
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(v)
	case reflect.Bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		f.SetInt(n)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// Validate checks every key and names the first wrong one.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Server.Listen); err != nil {
		return fmt.Errorf("server.listen: %q is not host:port", c.Server.Listen)
	}
	u, err := url.Parse(c.Server.BaseURL)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fmt.Errorf("server.base_url: %q is not an absolute http(s) URL", c.Server.BaseURL)
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("server.base_url: %q must be scheme://host[:port] with no path", c.Server.BaseURL)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return fmt.Errorf("server.base_url: http is allowed only on loopback for development; use https for %s", u.Host)
	}
	if err := c.Server.InstanceName.check(); err != nil {
		return fmt.Errorf("server.instance_name: %w", err)
	}
	if strings.TrimSpace(c.Server.InstanceName.In(c.Server.Language)) == "" {
		return errors.New("server.instance_name: must not be empty")
	}
	if err := c.Server.Description.check(); err != nil {
		return fmt.Errorf("server.description: %w", err)
	}
	if l, err := commons.CanonicalLanguage(c.Server.Language); err != nil || l != c.Server.Language {
		return fmt.Errorf("server.language: %q is not a canonical BCP 47 language tag such as en, fr or de", c.Server.Language)
	}
	if err := c.Site.validate(); err != nil {
		return err
	}
	if c.Federation.InboxRate < 0 {
		return fmt.Errorf("federation.inbox_rate: %d is negative; 0 turns the limit off", c.Federation.InboxRate)
	}
	if c.Federation.InboxBurst < 1 {
		return fmt.Errorf("federation.inbox_burst: %d is not a positive number of requests", c.Federation.InboxBurst)
	}
	if c.Federation.DeliveryLease.Duration < time.Second {
		return errors.New("federation.delivery_lease: must be at least 1s")
	}
	if c.Federation.DeliveryWorkers < 1 || c.Federation.DeliveryWorkers > 256 {
		return fmt.Errorf("federation.delivery_workers: %d is not between 1 and 256", c.Federation.DeliveryWorkers)
	}
	switch c.Federation.PeerPolicy {
	case federation.PolicyOpen, federation.PolicyApproval, federation.PolicyClosed:
	default:
		return fmt.Errorf("federation.peer_policy: %q is not open, approval or closed", c.Federation.PeerPolicy)
	}
	if c.Federation.SyncInterval.Duration < time.Minute {
		return fmt.Errorf("federation.sync_interval: %s is shorter than a minute", c.Federation.SyncInterval.Duration)
	}
	if len(c.Federation.RetrySchedule) == 0 {
		return errors.New("federation.retry_schedule: must list at least one wait")
	}
	for i, d := range c.Federation.RetrySchedule {
		if d.Duration <= 0 {
			return fmt.Errorf("federation.retry_schedule[%d]: must be positive", i)
		}
	}
	if c.Harvest.Interval.Duration < time.Minute {
		return fmt.Errorf("harvest.interval: %s is shorter than a minute", c.Harvest.Interval.Duration)
	}
	if c.Harvest.Poll.Duration <= 0 {
		return errors.New("harvest.poll: must be positive")
	}
	if c.Server.MaxBodyBytes < 1024 {
		return fmt.Errorf("server.max_body_bytes: %d is below the minimum of 1024", c.Server.MaxBodyBytes)
	}
	for name, d := range map[string]Duration{"server.read_timeout": c.Server.ReadTimeout, "server.write_timeout": c.Server.WriteTimeout, "server.shutdown_timeout": c.Server.ShutdownTimeout} {
		if d.Duration <= 0 {
			return fmt.Errorf("%s: must be positive", name)
		}
	}
	if c.Metrics.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Metrics.Listen); err != nil {
			return fmt.Errorf("metrics.listen: %q is not host:port", c.Metrics.Listen)
		}
		if c.Metrics.Listen == c.Server.Listen {
			return fmt.Errorf("metrics.listen: %q is server.listen; give metrics an address of their own, or set metrics.token instead", c.Metrics.Listen)
		}
	}
	if t := c.Metrics.Token; t != "" && (len(t) < minMetricsToken || strings.TrimSpace(t) != t) {
		return fmt.Errorf("metrics.token: must be at least %d characters without spaces at either end", minMetricsToken) // never the token itself
	}
	switch c.Store.Driver {
	case store.DriverSQLite:
		if c.Store.Path == "" {
			return errors.New("store.path: must not be empty")
		}
	case store.DriverPostgres:
		u, err := url.Parse(c.Store.URL)
		if c.Store.URL == "" {
			return errors.New("store.url: must not be empty with store.driver = \"postgres\"")
		}
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return errors.New("store.url: must be a postgres://user:password@host:port/database URL")
		}
	default:
		return fmt.Errorf("store.driver: %q is not one of sqlite, postgres", c.Store.Driver)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return fmt.Errorf("log.format: %q is not text or json", c.Log.Format)
	}
	return nil
}

func durations(ds []time.Duration) Durations {
	out := make(Durations, len(ds))
	for i, d := range ds {
		out[i] = Duration{d}
	}
	return out
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
