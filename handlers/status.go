package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/status"
)

//go:embed status_templates/*.html
var statusFS embed.FS

var statusTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"utc": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	// atLeast1 keeps a <progress> max valid for a phase without items.
	"atLeast1": func(n int) int { return max(n, 1) },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
}).ParseFS(statusFS, "status_templates/*.html"))

// StatusSource builds the status page's view (status.Builder implements it).
type StatusSource interface {
	Build(ctx context.Context) (status.Page, error)
}

// Status page access.
const (
	// StatusCookie holds a login: an expiry and an HMAC of it keyed by a
	// key derived from GOLIVE_STATUS_TOKEN, never the token itself.
	StatusCookie = "golive_status"
	// statusLoginTTL is how long a login lasts.
	statusLoginTTL = 30 * 24 * time.Hour
	// maxLoginBody bounds the login form.
	maxLoginBody = 4 << 10
)

// StatusPage serves GET /status, a read-only HTML page of the active
// go-lives, and POST /status/login.
//
// Without a Token the page is off: both answer 404 saying how to turn it on.
// With one, GET /status answers a request carrying "Authorization: Bearer
// TOKEN" or a valid login cookie; any other gets 401 and a login form that
// posts the token to /status/login, which sets the cookie (HttpOnly,
// SameSite=Strict, Secure on https) and redirects to /status, or answers 401
// again, setting nothing, when the token is wrong.
type StatusPage struct {
	// Token is GOLIVE_STATUS_TOKEN; "" turns the page off.
	Token string
	// PublicURL is GOLIVE_PUBLIC_URL: when it is https, the cookie is Secure
	// also for requests that reach golive over http (behind a proxy).
	PublicURL string
	Source    StatusSource
	Clock     clock.Clock
	Logger    *slog.Logger
	// Refresh is how often, in seconds, the page reloads itself; default
	// 60, negative: never.
	Refresh int
}

// Page serves GET (and HEAD) /status.
func (p *StatusPage) Page(w http.ResponseWriter, r *http.Request) {
	if p.Token == "" {
		p.off(w)
		return
	}
	if !p.authorized(r) {
		msg := ""
		if r.Header.Get("Authorization") != "" {
			msg = "The token in the Authorization header is not right."
		}
		p.loginForm(w, msg)
		return
	}
	page, err := p.Source.Build(r.Context())
	if err != nil {
		p.logger().Error("build the status page", "err", err)
		p.headers(w, "")
		http.Error(w, "the status page is unavailable: golive could not read its database", http.StatusInternalServerError)
		return
	}
	refresh := p.Refresh
	if refresh == 0 {
		refresh = 60
	}
	nonce := newNonce()
	p.render(w, http.StatusOK, "status.html", nonce, struct {
		status.Page
		Nonce      string
		Refresh    int
		ReadyCount int
	}{page, nonce, refresh, countReady(page)})
}

// Login serves POST /status/login: the form's token field.
func (p *StatusPage) Login(w http.ResponseWriter, r *http.Request) {
	if p.Token == "" {
		p.off(w)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	if err := r.ParseForm(); err != nil {
		p.headers(w, "")
		http.Error(w, "the login form could not be read", http.StatusBadRequest)
		return
	}
	if !p.tokenMatches(r.PostForm.Get("token")) {
		p.logger().Warn("status page login refused", "remote", r.RemoteAddr)
		p.loginForm(w, "That token is not right.")
		return
	}
	expires := p.now().Add(statusLoginTTL)
	http.SetCookie(w, &http.Cookie{
		Name: StatusCookie, Value: p.cookieValue(expires), Path: "/status",
		Expires: expires, MaxAge: int(statusLoginTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: p.secure(r),
	})
	p.headers(w, "")
	http.Redirect(w, r, "/status", http.StatusSeeOther)
}

// authorized: the bearer token, or a login cookie that has not expired.
func (p *StatusPage) authorized(r *http.Request) bool {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		return ok && strings.EqualFold(scheme, "Bearer") && p.tokenMatches(strings.TrimSpace(token))
	}
	c, err := r.Cookie(StatusCookie)
	return err == nil && p.cookieValid(c.Value)
}

// tokenMatches compares in constant time: both sides are hashed first, so
// not even the token's length shows in the timing.
func (p *StatusPage) tokenMatches(given string) bool {
	a, b := sha256.Sum256([]byte(given)), sha256.Sum256([]byte(p.Token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// cookieKey is the HMAC key of login cookies, derived from the token:
// changing the token ends every login.
func (p *StatusPage) cookieKey() []byte {
	k := sha256.Sum256([]byte("golive status login\x00" + p.Token))
	return k[:]
}

// cookieValue is "v1.EXPIRY.MAC": the expiry in Unix seconds and the
// HMAC-SHA256 of "v1.EXPIRY".
func (p *StatusPage) cookieValue(expires time.Time) string {
	payload := "v1." + strconv.FormatInt(expires.Unix(), 10)
	m := hmac.New(sha256.New, p.cookieKey())
	m.Write([]byte(payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (p *StatusPage) cookieValid(v string) bool {
	i := strings.LastIndexByte(v, '.')
	if i < 0 || !strings.HasPrefix(v, "v1.") {
		return false
	}
	payload, mac := v[:i], v[i+1:]
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, p.cookieKey())
	m.Write([]byte(payload))
	if !hmac.Equal(got, m.Sum(nil)) {
		return false
	}
	exp, err := strconv.ParseInt(strings.TrimPrefix(payload, "v1."), 10, 64)
	return err == nil && p.now().Unix() < exp
}

// secure: the browser reached golive over https, directly or (by the
// public URL) through a proxy.
func (p *StatusPage) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	u, err := url.Parse(p.PublicURL)
	return err == nil && strings.EqualFold(u.Scheme, "https")
}

func (p *StatusPage) off(w http.ResponseWriter) {
	p.headers(w, "")
	http.Error(w, "the status page is off: set GOLIVE_STATUS_TOKEN to turn it on", http.StatusNotFound)
}

func (p *StatusPage) loginForm(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="golive status"`)
	nonce := newNonce()
	p.render(w, http.StatusUnauthorized, "login.html", nonce, struct {
		Message string
		Nonce   string
	}{msg, nonce})
}

// render executes a template into a buffer first, so a failure is a clean
// 500 rather than half a page.
func (p *StatusPage) render(w http.ResponseWriter, code int, name, nonce string, data any) {
	var buf bytes.Buffer
	if err := statusTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		p.logger().Error("render the status page", "template", name, "err", err)
		p.headers(w, "")
		http.Error(w, "the status page could not be rendered", http.StatusInternalServerError)
		return
	}
	p.headers(w, nonce)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// headers: nothing cached or framed, and only the page's own inline style
// and script (by nonce) run.
func (p *StatusPage) headers(w http.ResponseWriter, nonce string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	csp := "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	if nonce != "" {
		csp += "; style-src 'nonce-" + nonce + "'; script-src 'nonce-" + nonce + "'"
	}
	h.Set("Content-Security-Policy", csp)
}

func (p *StatusPage) now() time.Time {
	if p.Clock == nil {
		return clock.System{}.Now()
	}
	return p.Clock.Now()
}

func (p *StatusPage) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

// newNonce is a CSP nonce: 128 random bits.
func newNonce() string { return rand.Text() }

func countReady(p status.Page) int {
	n := 0
	for _, g := range p.GoLives {
		if g.Ready {
			n++
		}
	}
	return n
}
