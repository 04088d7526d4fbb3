package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testAgent is an agent serving a fresh temporary workspace over TCP (httptest).
type testAgent struct {
	t    *testing.T
	srv  *Server
	ts   *httptest.Server
	ws   string
	auth string
}

func newAgent(t *testing.T, mutate func(*Config)) *testAgent {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Workspace = t.TempDir()
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := NewServer(cfg, NewReaper())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	hs := srv.HTTPServer()
	ts.Config = hs
	ts.Listener = &deadlineListener{Listener: ts.Listener, writeIdle: cfg.WriteIdleTimeout}
	ts.Start()
	t.Cleanup(func() { ts.Close(); srv.KillAll() })
	a := &testAgent{t: t, srv: srv, ts: ts, ws: cfg.Workspace}
	if len(cfg.Secret) > 0 {
		a.auth = "Bearer " + string(cfg.Secret)
	}
	return a
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]interface{} {
	t.Helper()
	var m map[string]interface{}
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not a JSON object (%d): %q", r.status, r.body)
	}
	return m
}

// errCode is the "code" of an error answer.
func (r reply) errCode(t *testing.T) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]interface{})
	c, _ := e["code"].(string)
	return c
}

func (a *testAgent) do(method, path, contentType string, body io.Reader) reply {
	a.t.Helper()
	req, err := http.NewRequest(method, a.ts.URL+path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if a.auth != "" {
		req.Header.Set("Authorization", a.auth)
	}
	resp, err := a.ts.Client().Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

func (a *testAgent) exec(body string) reply {
	return a.do("POST", "/v1/exec", "application/json", strings.NewReader(body))
}

func (a *testAgent) execResult(body string) ExecResult {
	a.t.Helper()
	r := a.exec(body)
	if r.status != 200 {
		a.t.Fatalf("exec %s: %d %s", body, r.status, r.body)
	}
	var res ExecResult
	if err := json.Unmarshal(r.body, &res); err != nil {
		a.t.Fatal(err)
	}
	return res
}

func mustJSON(v interface{}) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestExec(t *testing.T) {
	a := newAgent(t, nil)
	if err := os.Mkdir(filepath.Join(a.ws, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		req      map[string]interface{}
		exit     int
		stdout   string
		stderr   string
		timedOut bool
	}{
		{"true", map[string]interface{}{"command": []string{"true"}}, 0, "", "", false},
		{"exit code and both streams", map[string]interface{}{"command": []string{"sh", "-c", "echo out; echo err >&2; exit 3"}}, 3, "out\n", "err\n", false},
		{"argv is not split by a shell", map[string]interface{}{"command": []string{"printf", "%s|", "a b", "c"}}, 0, "a b|c|", "", false},
		{"env added", map[string]interface{}{"command": []string{"sh", "-c", "echo $FOO"}, "env": map[string]string{"FOO": "bar baz"}}, 0, "bar baz\n", "", false},
		{"default workdir is the workspace", map[string]interface{}{"command": []string{"pwd"}}, 0, a.ws + "\n", "", false},
		{"workdir", map[string]interface{}{"command": []string{"pwd"}, "workdir": a.ws + "/sub"}, 0, a.ws + "/sub\n", "", false},
		{"stdin", map[string]interface{}{"command": []string{"cat"}, "stdin": "line1\nline2"}, 0, "line1\nline2", "", false},
		{"stdin is closed when empty", map[string]interface{}{"command": []string{"cat"}}, 0, "", "", false},
		{"killed by a signal is 128+n", map[string]interface{}{"command": []string{"sh", "-c", "kill -TERM $$"}}, 128 + 15, "", "", false},
		{"not found is 127", map[string]interface{}{"command": []string{"no-such-program-xyz"}}, 127, "", "agent-sandbox-agent: no-such-program-xyz: command not found\n", false},
		{"timeout", map[string]interface{}{"command": []string{"sleep", "30"}, "timeoutMs": 200}, 137, "", "", true},
		{"secret env var is not passed on", map[string]interface{}{"command": []string{"sh", "-c", "echo ${AGENT_SANDBOX_SECRET:-unset}"}}, 0, "unset\n", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := a.execResult(mustJSON(c.req))
			if res.ExitCode != c.exit || res.Stdout != c.stdout || res.Stderr != c.stderr || res.TimedOut != c.timedOut {
				t.Errorf("got exit %d stdout %q stderr %q timedOut %v; want %d %q %q %v",
					res.ExitCode, res.Stdout, res.Stderr, res.TimedOut, c.exit, c.stdout, c.stderr, c.timedOut)
			}
			if res.StdoutTruncated || res.StderrTruncated {
				t.Errorf("truncated: %+v", res)
			}
		})
	}
}

// A timeout kills the command's whole process group, grandchildren included.
func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	a := newAgent(t, nil)
	start := time.Now()
	res := a.execResult(`{"command":["sh","-c","sleep 30 & echo $!; sh -c 'sleep 31' & wait"],"timeoutMs":300}`)
	if !res.TimedOut || res.ExitCode != 137 {
		t.Fatalf("want a timeout with 137, got %+v", res)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(res.Stdout))
	if err != nil {
		t.Fatalf("no grandchild pid in %q", res.Stdout)
	}
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still running after the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive: the process exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] != 'Z'
}

// A background grandchild holding the output pipes open does not hold the answer.
func TestExecBackgroundChildDoesNotHoldAnswer(t *testing.T) {
	a := newAgent(t, nil)
	start := time.Now()
	res := a.execResult(`{"command":["sh","-c","sleep 60 & echo $!"]}`)
	pid, err := strconv.Atoi(strings.TrimSpace(res.Stdout))
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v", res)
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("the answer waited for the background child: %v", d)
	}
	if !alive(pid) {
		t.Errorf("the background child must be left running")
	}
}

func TestExecOutputCaps(t *testing.T) {
	a := newAgent(t, func(c *Config) { c.MaxOutputBytes = 10 })
	res := a.execResult(`{"command":["sh","-c","head -c 100000 /dev/zero | tr '\\0' a; echo short >&2"]}`)
	if res.Stdout != "aaaaaaaaaa" || !res.StdoutTruncated {
		t.Errorf("stdout %q truncated %v", res.Stdout, res.StdoutTruncated)
	}
	if res.Stderr != "short\n" || res.StderrTruncated {
		t.Errorf("stderr %q truncated %v", res.Stderr, res.StderrTruncated)
	}
	if res.ExitCode != 0 {
		t.Errorf("the command must be drained, not blocked or killed: exit %d", res.ExitCode)
	}
}

func TestExecStreaming(t *testing.T) {
	a := newAgent(t, nil)
	r := a.do("POST", "/v1/exec?stream=true", "application/json",
		strings.NewReader(`{"command":["sh","-c","echo one; echo two >&2; exit 4"]}`))
	if r.status != 200 || r.header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("%d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	lines := strings.Split(strings.TrimSpace(string(r.body)), "\n")
	var got []map[string]interface{}
	for _, l := range lines {
		var m map[string]interface{}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not NDJSON: %q", l)
		}
		got = append(got, m)
	}
	out := map[string]string{}
	for _, m := range got[:len(got)-1] {
		out[m["stream"].(string)] += m["data"].(string)
	}
	if out["stdout"] != "one\n" || out["stderr"] != "two\n" {
		t.Errorf("chunks %v", out)
	}
	last := got[len(got)-1]
	if last["exitCode"] != float64(4) || last["timedOut"] != false {
		t.Errorf("last line %v", last)
	}
	if _, ok := last["stdout"]; ok {
		t.Errorf("the last line must not repeat the output: %v", last)
	}
}

// Chunks arrive while the command still runs: the first line comes long before the command's
// 30 s sleep ends; closing the connection then kills the command.
func TestExecStreamingIsIncremental(t *testing.T) {
	a := newAgent(t, nil)
	start := time.Now()
	req, _ := http.NewRequest("POST", a.ts.URL+"/v1/exec?stream=true",
		strings.NewReader(`{"command":["sh","-c","echo first; exec sleep 30"],"timeoutMs":60000}`))
	resp, err := a.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != `{"data":"first\n","stream":"stdout"}`+"\n" {
		t.Fatalf("first line %q %v", line, err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("the first chunk came only after %v", d)
	}
}

func TestExecRejects(t *testing.T) {
	a := newAgent(t, func(c *Config) { c.MaxBodyBytes = 1024 })
	cases := []struct {
		name, ct, body string
		status         int
		code, field    string
	}{
		{"empty body", "application/json", "", 400, "invalid_field", "body"},
		{"not JSON", "application/json", "{", 400, "invalid_field", "body"},
		{"array", "application/json", `["true"]`, 400, "invalid_field", "body"},
		{"trailing data", "application/json", `{"command":["true"]} x`, 400, "invalid_field", "body"},
		{"unknown field", "application/json", `{"command":["true"],"shell":true}`, 400, "invalid_field", "shell"},
		{"no command", "application/json", `{}`, 400, "invalid_field", "command"},
		{"empty command", "application/json", `{"command":[]}`, 400, "invalid_field", "command"},
		{"command not strings", "application/json", `{"command":[1]}`, 400, "invalid_field", "command"},
		{"NUL in argv", "application/json", `{"command":["echo","a\u0000b"]}`, 400, "invalid_field", "command"},
		{"empty program", "application/json", `{"command":[""]}`, 400, "invalid_field", "command"},
		{"bad env name", "application/json", `{"command":["true"],"env":{"A-B":"x"}}`, 400, "invalid_field", "env"},
		{"env value not string", "application/json", `{"command":["true"],"env":{"A":1}}`, 400, "invalid_field", "env"},
		{"stdin not string", "application/json", `{"command":["true"],"stdin":5}`, 400, "invalid_field", "stdin"},
		{"timeout zero", "application/json", `{"command":["true"],"timeoutMs":0}`, 400, "invalid_field", "timeoutMs"},
		{"timeout fractional", "application/json", `{"command":["true"],"timeoutMs":1.5}`, 400, "invalid_field", "timeoutMs"},
		{"timeout too long", "application/json", `{"command":["true"],"timeoutMs":99999999999}`, 400, "invalid_field", "timeoutMs"},
		{"relative workdir", "application/json", `{"command":["true"],"workdir":"tmp"}`, 400, "invalid_field", "workdir"},
		{"missing workdir", "application/json", `{"command":["true"],"workdir":"/no/such/dir"}`, 400, "invalid_field", "workdir"},
		{"wrong content type", "text/plain", `{"command":["true"]}`, 415, "unsupported_media_type", "content-type"},
		{"too large", "application/json", `{"command":["true"],"stdin":"` + strings.Repeat("x", 2000) + `"}`, 413, "payload_too_large", "body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.do("POST", "/v1/exec", c.ct, strings.NewReader(c.body))
			if r.status != c.status || r.errCode(t) != c.code {
				t.Fatalf("got %d %s; want %d %s", r.status, r.body, c.status, c.code)
			}
			e := r.json(t)["error"].(map[string]interface{})
			if e["field"] != c.field {
				t.Errorf("field %v, want %s", e["field"], c.field)
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	a := newAgent(t, nil)
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/healthz", 200, ""},
		{"GET", "/", 200, ""},
		{"GET", "/nope", 404, ""},
		{"GET", "/v1/exec", 405, "POST"},
		{"PATCH", "/v1/files/x", 405, "GET,HEAD,PUT,DELETE"},
		{"GET", "/execute", 405, "POST"},
		{"POST", "/download/x", 405, "GET,HEAD"},
		{"GET", "/v1/execx", 404, ""},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := a.do(c.method, c.path, "", nil)
			if r.status != c.status || r.header.Get("Allow") != c.allow {
				t.Fatalf("got %d Allow %q %s", r.status, r.header.Get("Allow"), r.body)
			}
		})
	}
}

func TestBusy(t *testing.T) {
	a := newAgent(t, func(c *Config) { c.MaxExecs = 1 })
	req, _ := http.NewRequest("POST", a.ts.URL+"/v1/exec?stream=true",
		strings.NewReader(`{"command":["sh","-c","echo started; exec sleep 30"],"timeoutMs":20000}`))
	resp, err := a.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	r := a.exec(`{"command":["true"]}`)
	if r.status != 503 || r.header.Get("Retry-After") == "" || r.errCode(t) != "exec_busy" {
		t.Fatalf("%d %v %s", r.status, r.header, r.body)
	}
	resp.Body.Close() // the client goes away: the command is killed and the slot freed
	deadline := time.Now().Add(5 * time.Second)
	for {
		if r := a.exec(`{"command":["true"]}`); r.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slot was not freed after the client went away")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAuth(t *testing.T) {
	a := newAgent(t, func(c *Config) { c.Secret = []byte("s3cret") })
	cases := []struct {
		name, header, path string
		status             int
	}{
		{"no header", "", "/v1/exec", 401},
		{"wrong secret", "Bearer nope", "/v1/exec", 401},
		{"prefix of the secret", "Bearer s3cre", "/v1/exec", 401},
		{"basic scheme", "Basic s3cret", "/v1/exec", 401},
		{"right secret", "Bearer s3cret", "/v1/exec", 200},
		{"scheme case-insensitive", "bearer s3cret", "/v1/exec", 200},
		{"upstream route needs it too", "", "/execute", 401},
		{"health is open", "", "/healthz", 200},
		{"upstream health is open", "", "/", 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a.auth = c.header
			method, body := "POST", `{"command":["true"]}`
			if c.path == "/execute" {
				body = `{"command":"true"}`
			}
			if c.path == "/healthz" || c.path == "/" {
				method, body = "GET", ""
			}
			r := a.do(method, c.path, "application/json", strings.NewReader(body))
			if r.status != c.status {
				t.Fatalf("got %d %s", r.status, r.body)
			}
			if c.status == 401 && r.header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("no WWW-Authenticate")
			}
		})
	}
}

func TestSecretFromEnvIsRemoved(t *testing.T) {
	t.Setenv("AGENT_SANDBOX_SECRET", " tok \n")
	cfg := DefaultConfig()
	if err := cfg.LoadSecret(); err != nil {
		t.Fatal(err)
	}
	if string(cfg.Secret) != "tok" {
		t.Errorf("secret %q", cfg.Secret)
	}
	if _, ok := os.LookupEnv("AGENT_SANDBOX_SECRET"); ok {
		t.Error("the variable must be removed from the environment")
	}
}

func TestTCPNeedsSecret(t *testing.T) {
	cfg := DefaultConfig()
	if _, err := listen("tcp:127.0.0.1:0", cfg); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("want a refusal, got %v", err)
	}
	cfg.AllowOpenTCP = true
	l, err := listen("tcp:127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
}

// ---------------------------------------------------------------- slow clients

func rawConn(t *testing.T, a *testAgent) net.Conn {
	c, err := net.Dial("tcp", a.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin: the server closes the connection (after answering or not) within d.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server kept a stalled connection open for %v (read %q)", d, b)
	}
	return string(b)
}

func TestSlowClients(t *testing.T) {
	a := newAgent(t, func(c *Config) {
		c.HeaderTimeout = 200 * time.Millisecond
		c.BodyIdleTimeout = 200 * time.Millisecond
	})
	t.Run("headers never finish", func(t *testing.T) {
		c := rawConn(t, a)
		fmt.Fprintf(c, "POST /v1/exec HTTP/1.1\r\nHost: x\r\n")
		closedWithin(t, c, 5*time.Second)
	})
	t.Run("body stalls", func(t *testing.T) {
		c := rawConn(t, a)
		fmt.Fprintf(c, "PUT /v1/files/slow.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
		if out := closedWithin(t, c, 5*time.Second); out != "" && !strings.HasPrefix(out, "HTTP/1.1 408") {
			t.Errorf("got %q", out)
		}
		if _, err := os.Stat(filepath.Join(a.ws, "slow.txt")); !os.IsNotExist(err) {
			t.Errorf("a stalled upload must not create the file: %v", err)
		}
		assertNoTemp(t, a.ws)
	})
	t.Run("malformed request line", func(t *testing.T) {
		c := rawConn(t, a)
		fmt.Fprintf(c, "GARBAGE\r\n\r\n")
		if out := closedWithin(t, c, 5*time.Second); !strings.HasPrefix(out, "HTTP/1.1 400") {
			t.Errorf("got %q", out)
		}
	})
	t.Run("bad percent-encoding", func(t *testing.T) {
		c := rawConn(t, a)
		fmt.Fprintf(c, "GET /v1/files/a%%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if out := closedWithin(t, c, 5*time.Second); !strings.HasPrefix(out, "HTTP/1.1 400") {
			t.Errorf("got %q", out)
		}
	})
	t.Run("huge header", func(t *testing.T) {
		c := rawConn(t, a)
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 200<<10))
		if out := closedWithin(t, c, 5*time.Second); !strings.HasPrefix(out, "HTTP/1.1 431") {
			t.Errorf("got %.40q", out)
		}
	})
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".tmp") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

// ---------------------------------------------------------------- files

func TestFiles(t *testing.T) {
	a := newAgent(t, nil)
	r := a.do("PUT", "/v1/files/dir/sub/a.txt", "", strings.NewReader("hello"))
	if r.status != 201 || r.json(t)["size"] != float64(5) || r.json(t)["path"] != a.ws+"/dir/sub/a.txt" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := a.do("GET", "/v1/files/dir/sub/a.txt", "", nil); r.status != 200 || string(r.body) != "hello" ||
		r.header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// overwrite keeps the mode, leaves no temporary file
	if err := os.Chmod(filepath.Join(a.ws, "dir/sub/a.txt"), 0o751); err != nil {
		t.Fatal(err)
	}
	if r := a.do("PUT", "/v1/files/dir%2Fsub%2Fa.txt", "", strings.NewReader("bye")); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	fi, err := os.Stat(filepath.Join(a.ws, "dir/sub/a.txt"))
	if err != nil || fi.Mode().Perm() != 0o751 {
		t.Fatalf("mode %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(filepath.Join(a.ws, "dir/sub/a.txt")); string(b) != "bye" {
		t.Fatalf("content %q", b)
	}
	assertNoTemp(t, a.ws)
	// empty file
	if r := a.do("PUT", "/v1/files/empty", "", nil); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// listing
	r = a.do("GET", "/v1/files/dir/sub?list=true", "", nil)
	m := r.json(t)
	entries := m["entries"].([]interface{})
	if r.status != 200 || len(entries) != 1 || entries[0].(map[string]interface{})["name"] != "a.txt" ||
		entries[0].(map[string]interface{})["type"] != "file" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := a.do("GET", "/v1/files/?list=true", "", nil); r.status != 200 || len(r.json(t)["entries"].([]interface{})) != 2 {
		t.Fatalf("root listing %d %s", r.status, r.body)
	}
	cases := []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"read a directory", "GET", "/v1/files/dir", 400, "is_a_directory"},
		{"write over a directory", "PUT", "/v1/files/dir", 400, "is_a_directory"},
		{"read a missing file", "GET", "/v1/files/missing", 404, "not_found"},
		{"delete a missing file", "DELETE", "/v1/files/missing", 404, "not_found"},
		{"a file as a directory", "GET", "/v1/files/empty/x", 400, "not_a_directory"},
		{"list a file", "GET", "/v1/files/empty?list=true", 400, "not_a_directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.do(c.method, c.path, "", nil)
			if r.status != c.status || r.errCode(t) != c.code {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
	// delete a tree
	if r := a.do("DELETE", "/v1/files/dir", "", nil); r.status != 204 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if _, err := os.Stat(filepath.Join(a.ws, "dir")); !os.IsNotExist(err) {
		t.Fatalf("not deleted: %v", err)
	}
}

func TestFileSizeLimit(t *testing.T) {
	a := newAgent(t, func(c *Config) { c.MaxFileBytes = 10 })
	if r := a.do("PUT", "/v1/files/big", "", strings.NewReader(strings.Repeat("x", 11))); r.status != 413 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// without a Content-Length (chunked): found while reading
	pr, pw := io.Pipe()
	go func() { _, _ = pw.Write([]byte(strings.Repeat("y", 100))); pw.Close() }()
	if r := a.do("PUT", "/v1/files/big", "", pr); r.status != 413 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if _, err := os.Stat(filepath.Join(a.ws, "big")); !os.IsNotExist(err) {
		t.Fatalf("a refused upload must not create the file: %v", err)
	}
	assertNoTemp(t, a.ws)
	if err := os.WriteFile(filepath.Join(a.ws, "large"), make([]byte, 11), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := a.do("GET", "/v1/files/large", "", nil); r.status != 413 || r.errCode(t) != "file_too_large" {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// Every way out of the workspace is refused, and nothing outside changes.
func TestTraversal(t *testing.T) {
	a := newAgent(t, nil)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("host secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	mk := func(target, link string) {
		if err := os.Symlink(target, filepath.Join(a.ws, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(a.ws, "in/deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.ws, "in/deep/ok.txt"), []byte("inside"), 0o644); err != nil {
		t.Fatal(err)
	}
	mk(secret, "abs-out")                  // absolute, out
	mk("../"+filepath.Base(outside), "up") // relative, out (sibling temp dir)
	mk(outside, "outdir")                  // a directory out
	mk("in/deep/../../..", "sneaky")       // relative, climbs out through inside dirs
	mk("in/deep", "deeplink")              // inside: fine
	mk(a.ws+"/in/deep/ok.txt", "absin")    // absolute, inside: fine
	mk("loop2", "loop1")
	mk("loop1", "loop2")

	cases := []struct {
		name, method, path string
		status             int
	}{
		{"dotdot", "GET", "/v1/files/../x", 400},
		{"encoded dotdot", "GET", "/v1/files/%2e%2e/x", 400},
		{"encoded slash dotdot", "GET", "/v1/files/in%2F..%2F..%2Fx", 400},
		{"absolute", "GET", "/v1/files/%2Fetc%2Fpasswd", 400},
		{"NUL", "GET", "/v1/files/a%00b", 400},
		{"control character", "GET", "/v1/files/a%0Ab", 400},
		{"dot segment", "GET", "/v1/files/./x", 400},
		{"symlink to a host file", "GET", "/v1/files/abs-out", 403},
		{"relative symlink out", "GET", "/v1/files/up/secret", 403},
		{"symlinked directory out", "GET", "/v1/files/outdir/secret", 403},
		{"symlink climbing out", "GET", "/v1/files/sneaky", 403},
		{"write through a symlinked dir", "PUT", "/v1/files/outdir/new", 403},
		{"write over a symlink", "PUT", "/v1/files/abs-out", 403},
		{"delete through a symlinked dir", "DELETE", "/v1/files/outdir/secret", 403},
		{"list through a symlink", "GET", "/v1/files/outdir?list=true", 403},
		{"link loop", "GET", "/v1/files/loop1", 400},
		{"delete the workspace", "DELETE", "/v1/files/deeplink/..", 400},
		{"upstream dotdot", "GET", "/download/..%2Fsecret", 400},
		{"upstream absolute", "GET", "/download/%2Fetc%2Fpasswd", 400},
		{"upstream symlink out", "GET", "/download/abs-out", 403},
		{"upstream list out", "GET", "/list/outdir", 403},
		{"upstream exists out", "GET", "/exists/outdir%2Fsecret", 403},
		{"upstream list dotdot", "GET", "/list/..", 400},
		{"symlink inside", "GET", "/v1/files/deeplink/ok.txt", 200},
		{"absolute symlink inside", "GET", "/v1/files/absin", 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.do(c.method, c.path, "", strings.NewReader("pwned"))
			if r.status != c.status {
				t.Fatalf("got %d %s", r.status, r.body)
			}
			if c.status == 200 && string(r.body) != "inside" {
				t.Fatalf("body %q", r.body)
			}
			if bytes.Contains(r.body, []byte("host secret")) {
				t.Fatal("leaked the outside file")
			}
		})
	}
	if b, err := os.ReadFile(secret); err != nil || string(b) != "host secret" {
		t.Fatalf("the outside file changed: %q %v", b, err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 1 {
		t.Fatalf("something was created outside: %v", ents)
	}
	// deleting a link removes the link, never its target
	if r := a.do("DELETE", "/v1/files/abs-out", "", nil); r.status != 204 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if _, err := os.Stat(secret); err != nil {
		t.Fatal("deleting a link removed its target")
	}
}

// ---------------------------------------------------------------- upstream runtime API

func TestUpstreamAPI(t *testing.T) {
	a := newAgent(t, nil)
	r := a.do("POST", "/execute", "application/json", strings.NewReader(`{"command":"echo hi; echo oops >&2; pwd; exit 2"}`))
	m := r.json(t)
	if r.status != 200 || m["stdout"] != "hi\n"+a.ws+"\n" || m["stderr"] != "oops\n" || m["exit_code"] != float64(2) || len(m) != 3 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := a.do("POST", "/execute", "application/json", strings.NewReader(`{"cmd":"x"}`)); r.status != 400 {
		t.Fatalf("%d %s", r.status, r.body)
	}

	upload := func(field, filename, content string) reply {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("other", "ignored")
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filename)}
		pw, _ := mw.CreatePart(h)
		_, _ = pw.Write([]byte(content))
		mw.Close()
		return a.do("POST", "/upload", mw.FormDataContentType(), &buf)
	}
	if r := upload("file", "data/in.txt", "payload"); r.status != 200 || !strings.Contains(r.json(t)["message"].(string), "data/in.txt") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if b, _ := os.ReadFile(filepath.Join(a.ws, "data/in.txt")); string(b) != "payload" {
		t.Fatalf("uploaded %q", b)
	}
	for _, bad := range []string{"../evil", "/etc/evil", "a/../../evil", ""} {
		if r := upload("file", bad, "x"); r.status != 400 {
			t.Errorf("filename %q: %d %s", bad, r.status, r.body)
		}
	}
	if r := upload("notfile", "x", "x"); r.status != 400 {
		t.Errorf("no file part: %d %s", r.status, r.body)
	}
	if r := a.do("POST", "/upload", "application/json", strings.NewReader("{}")); r.status != 415 {
		t.Errorf("not multipart: %d", r.status)
	}

	if r := a.do("GET", "/download/data%2Fin.txt", "", nil); r.status != 200 || string(r.body) != "payload" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := a.do("GET", "/download/data/in.txt", "", nil); r.status != 200 || string(r.body) != "payload" {
		t.Fatalf("unencoded slashes: %d %s", r.status, r.body)
	}
	if r := a.do("GET", "/download/missing", "", nil); r.status != 404 || r.json(t)["message"] == nil {
		t.Fatalf("%d %s", r.status, r.body)
	}

	r = a.do("GET", "/list/.", "", nil)
	var list []map[string]interface{}
	if err := json.Unmarshal(r.body, &list); err != nil || r.status != 200 || len(list) != 1 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if e := list[0]; e["name"] != "data" || e["type"] != "directory" || e["size"] == nil || e["mod_time"] == nil || len(e) != 4 {
		t.Fatalf("entry %v", e)
	}
	mt := list[0]["mod_time"].(float64)
	if d := time.Since(time.Unix(int64(mt), 0)); d < -time.Minute || d > time.Hour {
		t.Errorf("mod_time %v is not POSIX seconds of now", mt)
	}
	r = a.do("GET", "/list/data", "", nil)
	if err := json.Unmarshal(r.body, &list); err != nil || len(list) != 1 || list[0]["type"] != "file" || list[0]["size"] != float64(7) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for path, want := range map[string]bool{"/exists/data%2Fin.txt": true, "/exists/data": true, "/exists/nope": false, "/exists/data%2Fin.txt%2Fx": false} {
		r := a.do("GET", path, "", nil)
		if r.status != 200 || r.json(t)["exists"] != want {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
}

// ---------------------------------------------------------------- the binary as a wrapper

// TestMain lets the test binary act as the agent: with AGENT_TEST_MAIN=1 it runs main.
func TestMain(m *testing.M) {
	if os.Getenv("AGENT_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stderr))
	}
	os.Exit(m.Run())
}

// startWrapper runs the agent binary wrapping command; returns it once its socket answers.
func startWrapper(t *testing.T, extra []string, command ...string) (*os.Process, <-chan syscall.WaitStatus, string, *bufio.Reader, *bufio.Reader) {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	args := append([]string{"--listen", "unix:" + sock, "--workspace", dir}, extra...)
	args = append(append(args, "--"), command...)
	outR, outW, _ := os.Pipe()
	errR, errW, _ := os.Pipe()
	cmd := newCmd(os.Args[0], args, outW, errW)
	done, err := NewReaper().Start(cmd)
	outW.Close()
	errW.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); outR.Close(); errR.Close() })
	// the agent logs "serving" once its listeners are open
	stderr := bufio.NewReader(errR)
	line, err := stderr.ReadString('\n')
	if err != nil || !strings.Contains(line, "serving") {
		t.Fatalf("agent did not start: %q %v", line, err)
	}
	return cmd.Process, done, sock, bufio.NewReader(outR), stderr
}

func waitExit(t *testing.T, done <-chan syscall.WaitStatus) int {
	t.Helper()
	select {
	case ws := <-done:
		return exitCode(ws)
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not exit")
		return -1
	}
}

func TestWrapperExitsWithTheCommand(t *testing.T) {
	_, done, _, _, _ := startWrapper(t, nil, "sh", "-c", "exit 7")
	if code := waitExit(t, done); code != 7 {
		t.Fatalf("exit %d, want 7", code)
	}
}

func TestWrapperForwardsSignalsAndServes(t *testing.T) {
	p, done, sock, out, _ := startWrapper(t, nil, "sh", "-c", `trap "exit 9" TERM; echo ready; while :; do sleep 0.05; done`)
	if line, err := out.ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("%q %v", line, err)
	}
	c := &http.Client{Transport: &http.Transport{Dial: func(_, _ string) (net.Conn, error) { return net.Dial("unix", sock) }}}
	resp, err := c.Post("http://agent/v1/exec", "application/json", strings.NewReader(`{"command":["echo","through the socket"]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "through the socket") {
		t.Fatalf("%s", b)
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v %v", fi.Mode(), err)
	}
	_ = p.Signal(syscall.SIGTERM)
	if code := waitExit(t, done); code != 9 {
		t.Fatalf("exit %d, want 9 (the command's answer to the forwarded SIGTERM)", code)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket left behind: %v", err)
	}
}

func TestWrapperStay(t *testing.T) {
	p, done, sock, _, stderr := startWrapper(t, []string{"--stay"}, "sh", "-c", "exit 3")
	if line, err := stderr.ReadString('\n'); err != nil || !strings.Contains(line, "exited with 3; still serving") {
		t.Fatalf("%q %v", line, err)
	}
	c := &http.Client{Transport: &http.Transport{Dial: func(_, _ string) (net.Conn, error) { return net.Dial("unix", sock) }}}
	resp, err := c.Get("http://agent/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("not serving after the command exited: %v", err)
	}
	resp.Body.Close()
	_ = p.Signal(syscall.SIGTERM)
	if code := waitExit(t, done); code != 3 {
		t.Fatalf("exit %d, want the command's 3", code)
	}
}
