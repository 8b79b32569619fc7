package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Streams as go test -json writes them (go1.26), shortened.
const (
	passA = `{"Action":"start","Package":"m/a"}
{"Action":"run","Package":"m/a","Test":"TestOK"}
{"Action":"output","Package":"m/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"m/a","Test":"TestOK","Output":"    a_test.go:3: passing log\n"}
{"Action":"output","Package":"m/a","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}
{"Action":"pass","Package":"m/a","Test":"TestOK","Elapsed":0}
{"Action":"output","Package":"m/a","Output":"PASS\n"}
{"Action":"output","Package":"m/a","Output":"ok  \tm/a\t0.003s\n"}
{"Action":"pass","Package":"m/a","Elapsed":1.234}
`
	failB = `{"Action":"start","Package":"m/b"}
{"Action":"run","Package":"m/b","Test":"TestOK"}
{"Action":"output","Package":"m/b","Test":"TestOK","Output":"    b_test.go:3: passing log\n"}
{"Action":"pass","Package":"m/b","Test":"TestOK","Elapsed":0}
{"Action":"run","Package":"m/b","Test":"TestBad"}
{"Action":"output","Package":"m/b","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"run","Package":"m/b","Test":"TestBad/sub"}
{"Action":"output","Package":"m/b","Test":"TestBad/sub","Output":"    b_test.go:4: boom\n"}
{"Action":"output","Package":"m/b","Test":"TestBad/sub","Output":"--- FAIL: TestBad/sub (0.00s)\n"}
{"Action":"fail","Package":"m/b","Test":"TestBad/sub","Elapsed":0}
{"Action":"output","Package":"m/b","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"m/b","Test":"TestBad","Elapsed":0}
{"Action":"output","Package":"m/b","Output":"FAIL\n"}
{"Action":"output","Package":"m/b","Output":"FAIL\tm/b\t0.003s\n"}
{"Action":"fail","Package":"m/b","Elapsed":0.5}
`
	buildFailC = `{"ImportPath":"m/c [m/c.test]","Action":"build-output","Output":"# m/c [m/c.test]\n"}
{"ImportPath":"m/c [m/c.test]","Action":"build-output","Output":"c/c_test.go:3:28: undefined: nope\n"}
{"ImportPath":"m/c [m/c.test]","Action":"build-fail"}
{"Action":"start","Package":"m/c"}
{"Action":"output","Package":"m/c","Output":"FAIL\tm/c [build failed]\n"}
{"Action":"fail","Package":"m/c","Elapsed":0,"FailedBuild":"m/c [m/c.test]"}
`
	noTestsD = `{"Action":"start","Package":"m/d"}
{"Action":"output","Package":"m/d","Output":"?   \tm/d\t[no test files]\n"}
{"Action":"skip","Package":"m/d","Elapsed":0}
`
)

func TestFormatter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in         string
		goErr      error
		want       []string // lines that must appear, in this order
		wantAbsent []string
		wantLast   string
		wantFailed bool
	}{
		{
			name:     "all pass",
			in:       passA + noTestsD,
			want:     []string{"ok    m/a  1.23s", "?     m/d  [no test files]"},
			wantLast: "1 packages ok, 0 failed",
		},
		{
			name: "a failing subtest",
			in:   passA + failB,
			want: []string{
				"ok    m/a  1.23s", "FAIL  m/b  0.50s",
				"    b_test.go:4: boom", "--- FAIL: TestBad/sub (0.00s)", "--- FAIL: TestBad (0.00s)",
			},
			wantAbsent: []string{"passing log", "=== RUN", "FAIL\tm/b"},
			wantLast:   "1 packages ok, 1 failed: TestBad/sub (m/b)",
			wantFailed: true,
		},
		{
			name:       "a build-fail event",
			in:         buildFailC + passA,
			want:       []string{"FAIL  m/c  [build failed]", "      # m/c [m/c.test]", "      c/c_test.go:3:28: undefined: nope", "ok    m/a"},
			wantLast:   "1 packages ok, 1 failed: build failed (m/c)",
			wantFailed: true,
		},
		{
			name: "a build failure reported outside JSON",
			in: "# m/c\nc/c.go:3:1: syntax error\n" + `{"Action":"start","Package":"m/c"}
{"Action":"output","Package":"m/c","Output":"FAIL\tm/c [build failed]\n"}
{"Action":"fail","Package":"m/c","Elapsed":0}
`,
			want:       []string{"# m/c", "c/c.go:3:1: syntax error", "FAIL  m/c  0.00s"},
			wantLast:   "0 packages ok, 1 failed: outside any test (m/c), 2 lines that are not test events (above)",
			wantFailed: true,
		},
		{
			name:       "only a build failure, no package event",
			in:         `{"ImportPath":"m/e","Action":"build-output","Output":"e.go:1: bad\n"}` + "\n" + `{"ImportPath":"m/e","Action":"build-fail"}` + "\n",
			want:       []string{"FAIL  m/e  [build failed]", "      e.go:1: bad"},
			wantLast:   "0 packages ok, 1 failed: build failed (m/e)",
			wantFailed: true,
		},
		{
			name: "a package failing outside its tests",
			in: `{"Action":"start","Package":"m/f"}
{"Action":"output","Package":"m/f","Output":"TestMain: setup: no fixtures\n"}
{"Action":"output","Package":"m/f","Output":"FAIL\tm/f\t0.010s\n"}
{"Action":"fail","Package":"m/f","Elapsed":0.01}
`,
			want:       []string{"FAIL  m/f  0.01s", "TestMain: setup: no fixtures"},
			wantAbsent: []string{"FAIL\tm/f"},
			wantLast:   "0 packages ok, 1 failed: outside any test (m/f)",
			wantFailed: true,
		},
		{
			name: "a package that never finished",
			in: `{"Action":"start","Package":"m/g"}
{"Action":"output","Package":"m/g","Test":"TestSlow","Output":"    g_test.go:9: still going\n"}
`,
			want:       []string{"FAIL  m/g  [did not finish]", "    g_test.go:9: still going"},
			wantLast:   "0 packages ok, 1 failed: did not finish (m/g)",
			wantFailed: true,
		},
		{
			name:       "go test failing without events",
			in:         "pattern ./nope: directory not found\n",
			goErr:      errors.New("exit status 1"),
			wantLast:   "0 packages ok, 0 failed: 1 lines that are not test events (above)",
			wantFailed: true,
		},
		{
			name:       "go test's exit status alone",
			goErr:      errors.New("exit status 2"),
			wantLast:   "0 packages ok, 0 failed: go test: exit status 2 (above)",
			wantFailed: true,
		},
		{
			name:     "module download progress is not a failure",
			in:       "go: downloading github.com/x/y v1.0.0\n" + passA,
			want:     []string{"go: downloading github.com/x/y v1.0.0", "ok    m/a"},
			wantLast: "1 packages ok, 0 failed",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			f := newFormatter(&out)
			for _, l := range strings.Split(strings.TrimSuffix(tc.in, "\n"), "\n") {
				if l != "" {
					f.line(l)
				}
			}
			gotFailed := f.finish(tc.goErr)
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			require.Equal(t, tc.wantLast, lines[len(lines)-1], "last line; all:\n%s", out.String())
			require.Equal(t, tc.wantFailed, gotFailed)
			rest := out.String()
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				require.GreaterOrEqual(t, i, 0, "missing (or out of order) %q in:\n%s", w, out.String())
				rest = rest[i+len(w):]
			}
			for _, a := range tc.wantAbsent {
				require.NotContains(t, out.String(), a)
			}
		})
	}
}

// TestFormatter_sharedBuild shows that a failed build that several
// packages depend on is printed once.
func TestFormatter_sharedBuild(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	f := newFormatter(&out)
	for _, l := range []string{
		`{"ImportPath":"m/dep","Action":"build-output","Output":"dep.go:1: bad\n"}`,
		`{"ImportPath":"m/dep","Action":"build-fail"}`,
		`{"Action":"fail","Package":"m/x","FailedBuild":"m/dep"}`,
		`{"Action":"fail","Package":"m/y","FailedBuild":"m/dep"}`,
	} {
		f.line(l)
	}
	require.True(t, f.finish(nil))
	require.Equal(t, 1, strings.Count(out.String(), "dep.go:1: bad"), out.String())
	require.Contains(t, out.String(), "(the build output of m/dep is above)")
	require.True(t, strings.HasSuffix(out.String(), "0 packages ok, 2 failed: build failed (m/x), build failed (m/y)\n"), out.String())
}
