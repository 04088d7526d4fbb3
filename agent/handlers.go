package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"regexp"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// execFields are the fields of POST /v1/exec, as in the Java API.
var execFields = map[string]bool{"command": true, "stdin": true, "env": true, "timeoutMs": true, "workdir": true}

type badField struct{ field, msg string }

func (e *badField) Error() string { return e.field + ": " + e.msg }

// decodeExec parses and checks an exec request like the Java API does.
func (s *Server) decodeExec(body []byte) (ExecSpec, error) {
	spec := ExecSpec{Dir: s.ws.root, Timeout: s.cfg.DefaultTimeout}
	if len(bytes.TrimSpace(body)) == 0 {
		return spec, &badField{"body", "required: a JSON object with a command array"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return spec, &badField{"body", "must be a JSON object"}
	}
	if dec.More() {
		return spec, &badField{"body", "trailing data after the JSON object"}
	}
	for k := range obj {
		if !execFields[k] {
			return spec, &badField{k, "unknown field; allowed: command, env, stdin, timeoutMs, workdir"}
		}
	}
	var argv []string
	if err := json.Unmarshal(obj["command"], &argv); err != nil || len(argv) == 0 {
		return spec, &badField{"command", `required: a non-empty array of strings, e.g. ["python3", "-c", "print(1)"]`}
	}
	for _, a := range argv {
		if bytes.IndexByte([]byte(a), 0) >= 0 {
			return spec, &badField{"command", "must contain only strings without NUL"}
		}
	}
	if argv[0] == "" {
		return spec, &badField{"command", "the program name must not be empty"}
	}
	spec.Argv = argv
	if raw, ok := obj["stdin"]; ok && string(raw) != "null" {
		var in string
		if err := json.Unmarshal(raw, &in); err != nil {
			return spec, &badField{"stdin", "must be a string"}
		}
		spec.Stdin = []byte(in)
	}
	if raw, ok := obj["env"]; ok && string(raw) != "null" {
		var env map[string]json.RawMessage
		if err := json.Unmarshal(raw, &env); err != nil {
			return spec, &badField{"env", "must be an object of string values"}
		}
		for k, raw := range env {
			if !envName.MatchString(k) {
				return spec, &badField{"env", "variable name must match [A-Za-z_][A-Za-z0-9_]*: " + strconv.Quote(trunc(k))}
			}
			var v string
			if err := json.Unmarshal(raw, &v); err != nil || bytes.IndexByte([]byte(v), 0) >= 0 {
				return spec, &badField{"env", "value of " + k + " must be a string without NUL"}
			}
			spec.Env = append(spec.Env, [2]string{k, v})
		}
	}
	if raw, ok := obj["timeoutMs"]; ok && string(raw) != "null" {
		max := s.cfg.MaxTimeout.Milliseconds()
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || n < 1 || n > max {
			return spec, &badField{"timeoutMs", fmt.Sprintf("must be an integer between 1 and %d", max)}
		}
		spec.Timeout = time.Duration(n) * time.Millisecond
	}
	if raw, ok := obj["workdir"]; ok && string(raw) != "null" {
		var wd string
		if err := json.Unmarshal(raw, &wd); err != nil || !path.IsAbs(wd) || bytes.IndexByte([]byte(wd), 0) >= 0 || len(wd) > 4096 {
			return spec, &badField{"workdir", "must be an absolute path inside the sandbox"}
		}
		spec.Dir = wd
	}
	return spec, nil
}

func trunc(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// acquire takes an exec slot or answers 503.
func (s *Server) acquire(w http.ResponseWriter, r *http.Request) bool {
	select {
	case s.slots <- struct{}{}:
		return true
	default:
		writeError(w, r, 503, "exec_busy", "", fmt.Sprintf("all %d exec slots are busy; retry later", s.cfg.MaxExecs))
		return false
	}
}

func (s *Server) release() { <-s.slots }

// exec serves POST /v1/exec[?stream=true]: the Java API's exec, same request and answer.
func (s *Server) exec(w http.ResponseWriter, r *http.Request, _ string) {
	if !jsonContentType(w, r) {
		return
	}
	stream := r.URL.Query().Get("stream")
	if stream != "" && stream != "true" && stream != "false" {
		writeError(w, r, 400, "invalid_value", "stream", "must be true or false")
		return
	}
	body, ok := s.readAll(w, r, s.cfg.MaxBodyBytes)
	if !ok {
		return
	}
	spec, err := s.decodeExec(body)
	if err != nil {
		var bf *badField
		errors.As(err, &bf)
		writeError(w, r, 400, "invalid_field", bf.field, bf.msg)
		return
	}
	if !s.acquire(w, r) {
		return
	}
	defer s.release()
	if stream == "true" {
		s.execStreaming(w, r, spec)
		return
	}
	res, err := s.Run(r.Context(), spec, nil)
	if err != nil {
		s.execError(w, r, err)
		return
	}
	writeJSON(w, 200, res)
}

func (s *Server) execError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errBadWorkdir) {
		writeError(w, r, 400, "invalid_field", "workdir", err.Error())
		return
	}
	writeError(w, r, 500, "exec_failed", "", err.Error())
}

// execStreaming answers 200 with NDJSON: {"stream": "stdout"|"stderr", "data": "..."} per chunk as
// it comes (invalid UTF-8 shows as U+FFFD), then the result without its output. Errors before
// the command starts are ordinary error answers.
func (s *Server) execStreaming(w http.ResponseWriter, r *http.Request, spec ExecSpec) {
	flusher, _ := w.(http.Flusher)
	var mu sync.Mutex
	started := false
	start := func() {
		if !started {
			started = true
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(200)
		}
	}
	line := func(v interface{}) {
		b, _ := json.Marshal(v)
		_, _ = w.Write(append(b, '\n'))
		if flusher != nil {
			flusher.Flush()
		}
	}
	onOut := func(stderr bool, chunk []byte) {
		mu.Lock()
		defer mu.Unlock()
		start()
		name := "stdout"
		if stderr {
			name = "stderr"
		}
		line(map[string]string{"stream": name, "data": toValidUTF8(chunk)})
	}
	res, err := s.Run(r.Context(), spec, onOut)
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		if !started {
			s.execError(w, r, err)
			return
		}
		line(map[string]interface{}{"error": map[string]interface{}{"status": 500, "code": "exec_failed", "message": err.Error()}})
		return
	}
	start()
	line(map[string]interface{}{"exitCode": res.ExitCode, "stdoutTruncated": res.StdoutTruncated,
		"stderrTruncated": res.StderrTruncated, "timedOut": res.TimedOut, "durationMs": res.DurationMs})
}

func toValidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}

// ---------------------------------------------------------------- files

// files serves /v1/files/{path}: GET reads a file (or, with ?list=true, lists a directory), PUT
// writes one atomically (parents created), DELETE removes a file or a directory tree.
func (s *Server) files(w http.ResponseWriter, r *http.Request, raw string) {
	list := r.URL.Query().Get("list") == "true"
	rel, ok := decodePath(w, r, raw, list && r.Method == http.MethodGet)
	if !ok {
		return
	}
	abs := s.ws.Abs(rel)
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if list {
			entries, truncated, err := s.ws.List(rel, maxListEntries)
			if err != nil {
				s.fsError(w, r, abs, err)
				return
			}
			out := make([]map[string]interface{}, 0, len(entries))
			for _, e := range entries {
				out = append(out, map[string]interface{}{"name": e.Name, "type": e.Type, "size": e.Size,
					"modTime": posixSeconds(e.ModTime)})
			}
			writeJSON(w, 200, map[string]interface{}{"path": abs, "entries": out, "truncated": truncated})
			return
		}
		s.sendFile(w, r, rel)
	case http.MethodPut:
		if r.ContentLength > s.cfg.MaxFileBytes {
			s.fsError(w, r, abs, errTooLarge)
			return
		}
		n, err := s.ws.WriteAtomic(rel, s.body(r, s.cfg.MaxFileBytes), s.cfg.MaxFileBytes)
		if err != nil {
			s.fsError(w, r, abs, err)
			return
		}
		writeJSON(w, 201, map[string]interface{}{"path": abs, "size": n})
	case http.MethodDelete:
		if err := s.ws.Remove(rel); err != nil {
			s.fsError(w, r, abs, err)
			return
		}
		w.WriteHeader(204)
	}
}

const maxListEntries = 100_000

func posixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// sendFile answers a regular file's bytes.
func (s *Server) sendFile(w http.ResponseWriter, r *http.Request, rel string) {
	abs := s.ws.Abs(rel)
	f, err := s.ws.Open(rel)
	if err != nil {
		s.fsError(w, r, abs, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.fsError(w, r, abs, err)
		return
	}
	switch {
	case fi.IsDir():
		s.fsError(w, r, abs, errIsDir)
		return
	case !fi.Mode().IsRegular():
		s.fsError(w, r, abs, errNotRegular)
		return
	case fi.Size() > s.cfg.MaxFileBytes:
		s.fsError(w, r, abs, errTooLarge)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	w.WriteHeader(200)
	if r.Method != http.MethodHead {
		_, _ = io.CopyN(w, f, fi.Size())
	}
}

// ---------------------------------------------------------------- upstream runtime API

// upExecute serves upstream's POST /execute {"command": "<shell string>"} → {"stdout", "stderr",
// "exit_code"}, run by /bin/sh -c in the workspace.
func (s *Server) upExecute(w http.ResponseWriter, r *http.Request, _ string) {
	if !jsonContentType(w, r) {
		return
	}
	body, ok := s.readAll(w, r, s.cfg.MaxBodyBytes)
	if !ok {
		return
	}
	var req struct {
		Command *string `json:"command"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil || dec.More() {
		writeError(w, r, 400, "invalid_field", "body", `must be a JSON object {"command": "<shell command>"}`)
		return
	}
	if req.Command == nil || bytes.IndexByte([]byte(*req.Command), 0) >= 0 {
		writeError(w, r, 400, "invalid_field", "command", "required: a string without NUL")
		return
	}
	if !s.acquire(w, r) {
		return
	}
	defer s.release()
	spec := ExecSpec{Argv: []string{"/bin/sh", "-c", *req.Command}, Dir: s.ws.root, Timeout: s.cfg.ExecuteTimeout}
	res, err := s.Run(r.Context(), spec, nil)
	if err != nil {
		s.execError(w, r, err)
		return
	}
	writeJSON(w, 200, map[string]interface{}{"stdout": res.Stdout, "stderr": res.Stderr, "exit_code": res.ExitCode})
}

// upUpload serves upstream's POST /upload: multipart form data, part "file", whose filename is
// the destination path relative to the workspace. Streamed to disk, written atomically.
func (s *Server) upUpload(w http.ResponseWriter, r *http.Request, _ string) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		writeError(w, r, 415, "unsupported_media_type", "content-type", "must be multipart/form-data with a boundary")
		return
	}
	limit := s.cfg.MaxFileBytes + 64<<10 // the form's own overhead
	if r.ContentLength > limit {
		s.fsError(w, r, "upload", errTooLarge)
		return
	}
	r.Body = io.NopCloser(s.body(r, limit))
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, r, 400, "bad_body", "body", "not a multipart form: "+err.Error())
		return
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			writeError(w, r, 400, "invalid_field", "file", `required: a form part named "file" with a filename`)
			return
		}
		if errors.Is(err, errTooLarge) {
			s.fsError(w, r, "upload", errTooLarge)
			return
		}
		if err != nil {
			writeError(w, r, 400, "bad_body", "body", "malformed multipart form: "+err.Error())
			return
		}
		if part.FormName() != "file" {
			_, _ = io.Copy(io.Discard, part)
			continue
		}
		// Part.FileName() keeps only the base name; upstream's filename is a relative path.
		_, dp, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		name := dp["filename"]
		if err != nil || name == "" {
			writeError(w, r, 400, "invalid_field", "file", "the file part needs a filename (the destination path)")
			return
		}
		if p := CheckRel(name, false); p != "" {
			writeError(w, r, 400, "invalid_path", "filename", p)
			return
		}
		if _, err := s.ws.WriteAtomic(name, part, s.cfg.MaxFileBytes); err != nil {
			s.fsError(w, r, s.ws.Abs(name), err)
			return
		}
		writeJSON(w, 200, map[string]string{"message": fmt.Sprintf("File '%s' uploaded successfully.", name)})
		return
	}
}

// upDownload serves upstream's GET /download/{path}: the file's raw bytes.
func (s *Server) upDownload(w http.ResponseWriter, r *http.Request, raw string) {
	rel, ok := decodePath(w, r, raw, false)
	if !ok {
		return
	}
	s.sendFile(w, r, rel)
}

// upList serves upstream's GET /list/{path}: a JSON array of {"name", "size", "type":
// "file"|"directory", "mod_time"}.
func (s *Server) upList(w http.ResponseWriter, r *http.Request, raw string) {
	rel, ok := decodePath(w, r, raw, true)
	if !ok {
		return
	}
	entries, _, err := s.ws.List(rel, maxListEntries)
	if err != nil {
		s.fsError(w, r, s.ws.Abs(rel), err)
		return
	}
	out := make([]map[string]interface{}, 0, len(entries))
	for _, e := range entries {
		t := "file"
		if e.Type == "directory" {
			t = "directory"
		}
		out = append(out, map[string]interface{}{"name": e.Name, "size": e.Size, "type": t,
			"mod_time": posixSeconds(e.ModTime)})
	}
	writeJSON(w, 200, out)
}

// upExists serves upstream's GET /exists/{path}: {"exists": bool}.
func (s *Server) upExists(w http.ResponseWriter, r *http.Request, raw string) {
	rel, ok := decodePath(w, r, raw, true)
	if !ok {
		return
	}
	f, err := s.ws.Open(rel)
	switch {
	case err == nil:
		f.Close()
		writeJSON(w, 200, map[string]bool{"exists": true})
	case errors.Is(err, os.ErrNotExist), errors.Is(err, errNotDir):
		writeJSON(w, 200, map[string]bool{"exists": false})
	case errors.Is(err, os.ErrPermission), errors.Is(err, errNotRegular):
		writeJSON(w, 200, map[string]bool{"exists": true}) // there, but not openable by the agent
	default:
		s.fsError(w, r, s.ws.Abs(rel), err)
	}
}
