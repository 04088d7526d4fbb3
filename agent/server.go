package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server serves one sandbox's exec and files. Safe for concurrent use.
type Server struct {
	cfg    Config
	ws     *Workspace
	reaper *Reaper
	secret [32]byte // sha256 of the secret; compared in constant time
	slots  chan struct{}

	mu     sync.Mutex
	groups map[int]struct{} // process groups of running commands
}

// NewServer checks the workspace.
func NewServer(cfg Config, reaper *Reaper) (*Server, error) {
	ws, err := NewWorkspace(cfg.Workspace)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, ws: ws, reaper: reaper, slots: make(chan struct{}, cfg.MaxExecs),
		groups: make(map[int]struct{})}
	if len(cfg.Secret) > 0 {
		s.secret = sha256.Sum256(cfg.Secret)
	}
	return s, nil
}

type connKey struct{}

// HTTPServer is an http.Server with the agent's limits and timeouts, serving s.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.HeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
		ErrorLog: nil,
	}
}

func (s *Server) track(pgid int, running bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if running {
		s.groups[pgid] = struct{}{}
	} else {
		delete(s.groups, pgid)
	}
}

// KillAll kills the process groups of every running command.
func (s *Server) KillAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for pgid := range s.groups {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

// route is one path pattern: an exact path, or a prefix whose rest is the file path.
type route struct {
	path    string
	prefix  bool
	methods string // "POST" or "GET,PUT,DELETE"
	handle  func(s *Server, w http.ResponseWriter, r *http.Request, rest string)
	open    bool // served without the secret
	up      bool // upstream runtime API: errors also carry a top-level "message"
}

var routes = []route{
	{path: "/healthz", methods: "GET,HEAD", handle: (*Server).health, open: true},
	{path: "/", methods: "GET,HEAD", handle: (*Server).health, open: true, up: true},
	{path: "/v1/exec", methods: "POST", handle: (*Server).exec},
	{path: "/v1/files/", prefix: true, methods: "GET,HEAD,PUT,DELETE", handle: (*Server).files},
	{path: "/execute", methods: "POST", handle: (*Server).upExecute, up: true},
	{path: "/upload", methods: "POST", handle: (*Server).upUpload, up: true},
	{path: "/download/", prefix: true, methods: "GET,HEAD", handle: (*Server).upDownload, up: true},
	{path: "/list/", prefix: true, methods: "GET", handle: (*Server).upList, up: true},
	{path: "/exists/", prefix: true, methods: "GET", handle: (*Server).upExists, up: true},
}

type upstreamKey struct{}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.EscapedPath()
	for i := range routes {
		rt := &routes[i]
		var rest string
		if rt.prefix {
			if !strings.HasPrefix(raw, rt.path) {
				continue
			}
			rest = raw[len(rt.path):]
		} else if raw != rt.path {
			continue
		}
		if rt.up {
			r = r.WithContext(context.WithValue(r.Context(), upstreamKey{}, true))
		}
		if !allowed(rt.methods, r.Method) {
			discardBody(r)
			w.Header().Set("Allow", rt.methods)
			writeError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "",
				r.Method+" is not allowed here; allowed: "+rt.methods)
			return
		}
		if !rt.open && !s.authorized(r) {
			discardBody(r)
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeError(w, r, http.StatusUnauthorized, "unauthorized", "Authorization",
				"the sandbox's secret is required: Authorization: Bearer <secret>")
			return
		}
		rt.handle(s, w, r, rest)
		return
	}
	discardBody(r)
	writeError(w, r, http.StatusNotFound, "not_found", "", "no such route")
}

// discardBody reads (at most 64 KiB of) a request body the answer will not use. Go's server does
// not drain the body of a request it closes after (HTTP/1.0, Connection: close); closing with
// unread bytes makes the kernel send a reset that can overtake the answer, so the client would see
// "connection reset" instead of the 401/404/405.
func discardBody(r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64<<10))
}

func allowed(methods, m string) bool {
	for _, x := range strings.Split(methods, ",") {
		if x == m {
			return true
		}
	}
	return false
}

func (s *Server) authorized(r *http.Request) bool {
	if len(s.cfg.Secret) == 0 {
		return true
	}
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(h[7:])))
	return subtle.ConstantTimeCompare(got[:], s.secret[:]) == 1
}

// ---------------------------------------------------------------- responses

// writeError answers {"error": {"status", "code", "field", "message"}} like the Java API; upstream
// routes also get a top-level "message" as upstream's runtime answers.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, field, msg string) {
	e := map[string]interface{}{"status": status, "code": code, "message": msg}
	if field != "" {
		e["field"] = field
	}
	body := map[string]interface{}{"error": e}
	if up, _ := r.Context().Value(upstreamKey{}).(bool); up {
		body["message"] = msg
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	if status == http.StatusRequestEntityTooLarge || status == http.StatusRequestTimeout {
		// the rest of the body is not read: do not keep the connection for another request
		w.Header().Set("Connection", "close")
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = 500, []byte(`{"error":{"status":500,"code":"internal_error","message":"encoding failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// fsError answers a failed file operation on abs.
func (s *Server) fsError(w http.ResponseWriter, r *http.Request, abs string, err error) {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	q := strconv.Quote(abs)
	switch {
	case errors.Is(err, errEscapes):
		writeError(w, r, 403, "path_escapes_workspace", "path", q+" resolves outside the workspace through a symbolic link, or is one")
	case errors.Is(err, errIsRoot):
		writeError(w, r, 403, "forbidden", "path", "the workspace itself cannot be written or deleted")
	case isTimeout(err):
		writeError(w, r, 408, "request_timeout", "body", "the request body did not arrive in time")
	case errors.Is(err, errTooLarge):
		writeError(w, r, 413, "file_too_large", "path", fmt.Sprintf("%s is larger than %d bytes", q, s.cfg.MaxFileBytes))
	case errors.Is(err, syscall.ENOENT):
		writeError(w, r, 404, "not_found", "path", "no such file: "+q)
	case errors.Is(err, syscall.ENOTDIR):
		writeError(w, r, 400, "not_a_directory", "path", "a component of "+q+" is not a directory")
	case errors.Is(err, syscall.EISDIR):
		writeError(w, r, 400, "is_a_directory", "path", q+" is a directory")
	case errors.Is(err, syscall.EINVAL), errors.Is(err, syscall.ENXIO):
		writeError(w, r, 400, "not_a_regular_file", "path", q+" is not a regular file")
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EROFS):
		writeError(w, r, 403, "permission_denied", "path", q+": "+err.Error())
	case errors.Is(err, syscall.ELOOP):
		writeError(w, r, 400, "too_many_links", "path", q+": too many levels of symbolic links")
	case errors.Is(err, syscall.ENAMETOOLONG):
		writeError(w, r, 400, "invalid_path", "path", q+": name too long")
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		writeError(w, r, 507, "no_space", "path", q+": no space left")
	default:
		writeError(w, r, 500, "io_error", "path", q+": "+err.Error())
	}
}

// ---------------------------------------------------------------- bodies

// body reads at most limit bytes of the request body with the read timeouts applied to the
// connection: --body-idle-timeout between reads, --body-timeout in all. Err errTooLarge past limit.
func (s *Server) body(r *http.Request, limit int64) io.Reader {
	c, _ := r.Context().Value(connKey{}).(net.Conn)
	return &timedBody{r: r.Body, conn: c, idle: s.cfg.BodyIdleTimeout,
		end: time.Now().Add(s.cfg.BodyTimeout), left: limit}
}

type timedBody struct {
	r    io.Reader
	conn net.Conn
	idle time.Duration
	end  time.Time
	left int64
	done bool
}

func (b *timedBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if b.conn != nil {
		d := time.Now().Add(b.idle)
		if b.end.Before(d) {
			d = b.end
		}
		_ = b.conn.SetReadDeadline(d)
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		n += int(b.left)
		err = errTooLarge
	}
	if err == io.EOF {
		b.done = true
		if b.conn != nil {
			// the server's own read of the next request sets its deadline again
			_ = b.conn.SetReadDeadline(time.Time{})
		}
	}
	// on any other error the deadline stays: the server's discard of the rest cannot hang either
	return n, err
}

// readAll reads a whole body into memory (exec requests); answers 413/400 itself on failure.
func (s *Server) readAll(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if r.ContentLength > limit {
		writeError(w, r, 413, "payload_too_large", "body", fmt.Sprintf("request body larger than %d bytes", limit))
		return nil, false
	}
	var buf bytes.Buffer
	_, err := buf.ReadFrom(s.body(r, limit))
	if errors.Is(err, errTooLarge) {
		writeError(w, r, 413, "payload_too_large", "body", fmt.Sprintf("request body larger than %d bytes", limit))
		return nil, false
	}
	if isTimeout(err) {
		writeError(w, r, 408, "request_timeout", "body", "the request body did not arrive in time")
		return nil, false
	}
	if err != nil {
		writeError(w, r, 400, "bad_body", "body", "the request body could not be read: "+err.Error())
		return nil, false
	}
	return buf.Bytes(), true
}

func jsonContentType(w http.ResponseWriter, r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return true
	}
	writeError(w, r, 415, "unsupported_media_type", "content-type", "must be application/json")
	return false
}

// decodePath percent-decodes the file path part of a URL ("%2F" is a slash like "/").
func decodePath(w http.ResponseWriter, r *http.Request, raw string, allowRoot bool) (string, bool) {
	rel, err := url.PathUnescape(raw)
	if err != nil {
		writeError(w, r, 400, "invalid_path", "path", "malformed percent-encoding")
		return "", false
	}
	if p := CheckRel(rel, allowRoot); p != "" {
		writeError(w, r, 400, "invalid_path", "path", p)
		return "", false
	}
	rel = strings.TrimSuffix(rel, "/")
	if rel == "." {
		rel = ""
	}
	return rel, true
}

// ---------------------------------------------------------------- health

func (s *Server) health(w http.ResponseWriter, r *http.Request, _ string) {
	writeJSON(w, 200, map[string]interface{}{"status": "ok", "message": "Sandbox Runtime is active.",
		"agent": "agent-sandbox-agent", "version": version})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
