package fakegithub

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Credential kinds, as recorded in Call.Auth.
const (
	authKindInstallation = "installation"
	authKindApp          = "app"
)

// What a route demands of the caller.
const (
	needRepo     = iota // an installation token covering {owner}/{repo}
	needApp             // an App JWT
	needAppRepo         // an App JWT; {owner}/{repo} must exist
	needOrg             // an installation token of the {org} account
	needNone            // nothing (bad credentials are still refused)
	needOptional        // anything valid, or nothing
	needInstall         // an installation token of an installation that is not suspended
)

// installationTokenTTL is how long GitHub's installation tokens live.
const installationTokenTTL = time.Hour

// maxJWTLifetime is how far in the future GitHub lets a JWT's exp be.
const maxJWTLifetime = 10 * time.Minute

// jwtClockDrift is the clock drift GitHub tolerates on iat.
const jwtClockDrift = 60 * time.Second

type authInfo struct {
	kind           string
	installationID int64
	token          *tokenState
	presented      bool
	err            string // why presented credentials were refused
}

// identify reads the request's credentials. s.mu is held.
func (s *Server) identify(c *reqCtx) {
	h := c.r.Header.Get("Authorization")
	if h == "" {
		return
	}
	c.auth.presented = true
	scheme, cred, _ := strings.Cut(strings.TrimSpace(h), " ")
	cred = strings.TrimSpace(cred)
	scheme = strings.ToLower(scheme)
	if scheme != "token" && scheme != "bearer" || cred == "" {
		c.auth.err = "Bad credentials"
		return
	}
	if strings.HasPrefix(cred, "ghs_") {
		tok, ok := s.st.tokens[cred]
		switch {
		case !ok, !c.now.Before(tok.expiresAt):
			c.auth.err = "Bad credentials"
		default:
			c.auth.kind = authKindInstallation
			c.auth.installationID = tok.installationID
			c.auth.token = tok
		}
		return
	}
	if scheme == "bearer" && strings.Count(cred, ".") == 2 {
		if msg := s.verifyJWT(cred); msg != "" {
			c.auth.err = msg
			return
		}
		c.auth.kind = authKindApp
		return
	}
	c.auth.err = "Bad credentials"
}

// verifyJWT checks an App JWT as GitHub does; it returns GitHub's complaint,
// or "" if the token is good.
func (s *Server) verifyJWT(tok string) string {
	const undecodable = "A JSON web token could not be decoded"
	parts := strings.Split(tok, ".")
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return undecodable
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(hb, &header) != nil {
		return undecodable
	}
	if header.Alg != "RS256" {
		return undecodable
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, digest[:], sig) != nil {
		return "Bad credentials"
	}
	var claims struct {
		Iss any         `json:"iss"`
		Iat json.Number `json:"iat"`
		Exp json.Number `json:"exp"`
	}
	dec := json.NewDecoder(bytes.NewReader(cb))
	dec.UseNumber()
	if dec.Decode(&claims) != nil {
		return undecodable
	}
	var iss string
	switch v := claims.Iss.(type) {
	case string:
		iss = v
	case json.Number:
		iss = v.String()
	default:
		return "'Issuer' claim ('iss') must be an Integer"
	}
	if iss != strconv.FormatInt(s.appID, 10) {
		return "Integration not found"
	}
	iat, err := claims.Iat.Int64()
	if err != nil {
		return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	}
	exp, err := claims.Exp.Int64()
	if err != nil {
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	}
	now := s.jwtClock.Now().Unix()
	switch {
	case iat > now+int64(jwtClockDrift/time.Second):
		return "'Issued at' claim ('iat') must be an Integer representing a time in the past"
	case exp <= now:
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	case exp > now+int64((maxJWTLifetime+jwtClockDrift)/time.Second):
		return "'Expiration time' claim ('exp') is too far in the future"
	case exp <= iat:
		return "'Expiration time' claim ('exp') must be after 'Issued at' claim ('iat')"
	}
	return ""
}

// AppJWT returns a JWT for the App, signed with its key and valid for nine
// minutes from the JWT clock's now, for tests that call /app routes without
// ghinstallation.
func (s *Server) AppJWT() string {
	now := s.jwtClock.Now()
	claims := map[string]any{
		"iat": now.Add(-30 * time.Second).Unix(),
		"exp": now.Add(9 * time.Minute).Unix(),
		"iss": strconv.FormatInt(s.appID, 10),
	}
	return signJWT(s.key, claims)
}

// signJWT signs claims with RS256.
func signJWT(key *rsa.PrivateKey, claims map[string]any) string {
	hb, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	cb, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		panic(fmt.Sprintf("signing JWT: %v", err))
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// InstallationToken mints a token for installation id as POST
// /app/installations/{id}/access_tokens would, without a request; it returns
// "" when the installation is unknown.
func (s *Server) InstallationToken(id int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, ok := s.st.installations[id]
	if !ok {
		return ""
	}
	return s.mintToken(inst, nil, nil).token
}

// mintToken issues a token for inst. s.mu is held.
func (s *Server) mintToken(inst *installationState, repos map[string]bool, perms map[string]string) *tokenState {
	if perms == nil {
		perms = copyPerms(inst.permissions)
	}
	t := &tokenState{
		token:          "ghs_" + randomAlnum(36),
		installationID: inst.id,
		expiresAt:      s.clock.Now().UTC().Truncate(time.Second).Add(installationTokenTTL),
		repos:          repos,
		permissions:    perms,
	}
	s.st.tokens[t.token] = t
	return t
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomAlnum(n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alnum)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(fmt.Sprintf("reading randomness: %v", err))
		}
		b[i] = alnum[v.Int64()]
	}
	return string(b)
}

// authenticate checks that the caller holds the kind of credentials route h
// demands; ok is false when resp must be sent instead. s.mu is held.
func (s *Server) authenticate(c *reqCtx, h routeSpec) (resp response, ok bool) {
	doc := s.spec.docURL(c.method, c.route)
	if c.auth.err != "" {
		return s.errorResponse(http.StatusUnauthorized, c.auth.err, doc), false
	}
	switch h.auth {
	case needNone, needOptional:
		return response{}, true
	case needApp, needAppRepo:
		switch c.auth.kind {
		case authKindApp:
			return response{}, true
		case "":
			return s.errorResponse(http.StatusUnauthorized, "Bad credentials", doc), false
		default:
			return s.errorResponse(http.StatusUnauthorized, "A JSON web token could not be decoded", doc), false
		}
	default:
		switch c.auth.kind {
		case authKindInstallation:
			return response{}, true
		case "":
			return s.errorResponse(http.StatusUnauthorized, "Bad credentials", doc), false
		default:
			return s.errorResponse(http.StatusForbidden, "Resource not accessible by integration", doc), false
		}
	}
}

// authorize checks that the caller may reach the resource and resolves it;
// ok is false when resp must be sent instead. s.mu is held.
func (s *Server) authorize(c *reqCtx, h routeSpec) (resp response, ok bool) {
	doc := s.spec.docURL(c.method, c.route)
	notFound := s.errorResponse(http.StatusNotFound, "Not Found", doc)
	switch h.auth {
	case needAppRepo:
		repo := s.st.repo(c.p["owner"] + "/" + c.p["repo"])
		if repo == nil {
			return notFound, false
		}
		c.repo = repo
		return response{}, true
	case needRepo:
		inst := s.st.installations[c.auth.installationID]
		if inst == nil {
			return s.errorResponse(http.StatusUnauthorized, "Bad credentials", doc), false
		}
		if inst.suspended {
			return s.errorResponse(http.StatusForbidden, "This installation has been suspended", doc), false
		}
		repo := s.st.repo(c.p["owner"] + "/" + c.p["repo"])
		if repo == nil || !s.st.covers(inst, repo) || (c.auth.token.repos != nil && !c.auth.token.repos[repo.key()]) {
			return notFound, false
		}
		if !permits(c.auth.token.permissions, h.perm, h.write) {
			return s.errorResponse(http.StatusForbidden, "Resource not accessible by integration", doc), false
		}
		c.repo = repo
		return response{}, true
	case needInstall:
		inst := s.st.installations[c.auth.installationID]
		if inst == nil {
			return s.errorResponse(http.StatusUnauthorized, "Bad credentials", doc), false
		}
		if inst.suspended {
			return s.errorResponse(http.StatusForbidden, "This installation has been suspended", doc), false
		}
		return response{}, true
	case needOrg:
		inst := s.st.installations[c.auth.installationID]
		if inst == nil || !strings.EqualFold(inst.account.login, c.p["org"]) {
			return notFound, false
		}
		if inst.suspended {
			return s.errorResponse(http.StatusForbidden, "This installation has been suspended", doc), false
		}
		if !permits(c.auth.token.permissions, h.perm, h.write) {
			return s.errorResponse(http.StatusForbidden, "Resource not accessible by integration", doc), false
		}
		return response{}, true
	}
	return response{}, true
}

// permits reports whether perms grant perm ("" or "metadata" always read) at
// the needed level. A list like "issues|pull_requests" is satisfied by any.
func permits(perms map[string]string, perm string, write bool) bool {
	if perm == "" || (perm == "metadata" && !write) {
		return true
	}
	for _, p := range strings.Split(perm, "|") {
		switch perms[p] {
		case "write", "admin":
			return true
		case "read":
			if !write {
				return true
			}
		}
	}
	return false
}

func copyPerms(p map[string]string) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}
