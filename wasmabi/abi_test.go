package wasmabi

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func TestDecodeExecRequest(t *testing.T) {
	t.Parallel()
	no := false
	tests := []struct {
		name    string
		in      string
		want    ExecRequest
		wantErr error
	}{
		{"full", `{"command":"helm","args":["a","b"],"env":{"K":"v"},"dir":"/cnab/app","stdin":"x","timeout_ms":5,"stream":false}`,
			ExecRequest{Command: "helm", Args: []string{"a", "b"}, Env: map[string]string{"K": "v"}, Dir: "/cnab/app", Stdin: "x", TimeoutMS: 5, Stream: &no}, nil},
		{"discard", `{"command":"helm","discard":["stdout","stderr"]}`,
			ExecRequest{Command: "helm", Discard: []string{"stdout", "stderr"}}, nil},
		{"discard nothing", `{"command":"helm","discard":[]}`, ExecRequest{Command: "helm"}, nil},
		{"raw output", `{"command":"helm","raw_output":true}`, ExecRequest{Command: "helm", RawOutput: true}, nil},
		{"discard a stream that is none", `{"command":"helm","discard":["stdin"]}`, ExecRequest{}, ErrMalformed},
		{"command only", `{"command":"echo"}`, ExecRequest{Command: "echo"}, nil},
		{"no command", `{"args":["x"]}`, ExecRequest{}, ErrMalformed},
		{"unknown field", `{"command":"echo","shell":true}`, ExecRequest{}, ErrMalformed},
		{"trailing data", `{"command":"echo"} {}`, ExecRequest{}, ErrMalformed},
		{"not json", `helm`, ExecRequest{}, ErrMalformed},
		{"invalid utf-8", "{\"command\":\"\xff\"}", ExecRequest{}, ErrMalformed},
		{"negative timeout", `{"command":"echo","timeout_ms":-1}`, ExecRequest{}, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeExecRequest([]byte(tc.in))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestExecRequest_Streams(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	require.True(t, ExecRequest{}.Streams())
	require.True(t, ExecRequest{Stream: &yes}.Streams())
	require.False(t, ExecRequest{Stream: &no}.Streams())
}

func TestValidOutputName(t *testing.T) {
	t.Parallel()
	long := "a123456789012345678901234567890123456789012345678901234567890123"
	for name, want := range map[string]bool{
		"greeting": true, "users.json": true, "a-b_c.d": true, "0": true, long: true,
		"": false, long + "x": false, ".": false, "..": false, "_x": false, "-x": false,
		"a/b": false, "a b": false, "é": false,
	} {
		require.Equal(t, want, ValidOutputName(name), "%q", name)
	}
}

func TestStatus_Error(t *testing.T) {
	t.Parallel()
	require.Equal(t, "E_DENIED: denied by policy", EDenied.Error())
	require.Equal(t, "E_NOTFOUND", ENotFound.Name())
	require.Equal(t, "OK", Status(3).Name())
	require.Equal(t, "E_UNKNOWN(-42)", Status(-42).Name())
	var err error = EDenied
	require.True(t, errors.Is(err, EDenied))
	require.False(t, errors.Is(err, ENotFound))
}

func FuzzDecodeExecRequest(f *testing.F) {
	f.Add([]byte(`{"command":"helm","args":["upgrade","--install"],"env":{"A":"b"},"dir":"/cnab/app","stdin":"","timeout_ms":0,"stream":true}`))
	f.Add([]byte(`{"command":""}`))
	f.Add([]byte("{\"command\":\"\\u0000\"}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeExecRequest(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		b, err := Encode(req)
		require.NoError(t, err)
		again, err := DecodeExecRequest(b)
		require.NoError(t, err, "a decoded request must encode to one that decodes: %s", b)
		require.Equal(t, req, again)
	})
}

// FuzzExecResult_WriteJSON: the streaming encoder writes exactly what
// Encode writes, and says how many bytes it wrote, for any captured bytes.
func FuzzExecResult_WriteJSON(f *testing.F) {
	f.Add(0, "out\n", "err", true, false, int64(12), "killed", "/usr/bin/x")
	f.Add(-1, "\x00\x1f\"\\\b\f\n\r\t\x7f<>&", "\u2028\u2029\xff\xfe", false, true, int64(0), "", "")
	f.Add(137, strings.Repeat("é", 3000), "", false, false, int64(-5), "", "")
	f.Fuzz(func(t *testing.T, code int, stdout, stderr string, trunc, timedOut bool, ms int64, sig, path string) {
		r := ExecResult{ExitCode: code, Stdout: stdout, Stderr: stderr, StdoutTruncated: trunc, StderrTruncated: !trunc,
			TimedOut: timedOut, DurationMS: ms, Signal: sig, Path: path, StdoutLen: ms / 2, StderrLen: int64(code)}
		want, err := Encode(r)
		require.NoError(t, err)
		var got bytes.Buffer
		n, err := r.WriteJSON(&got)
		require.NoError(t, err)
		require.Equal(t, string(want), got.String())
		require.Equal(t, int64(len(want)), n)

		// From readers, in any chunks: the same bytes.
		for _, wrap := range []func(io.Reader) io.Reader{iotest.OneByteReader, iotest.HalfReader, func(r io.Reader) io.Reader { return r }} {
			got.Reset()
			blank := r
			blank.Stdout, blank.Stderr = "ignored", ""
			n, err = blank.WriteJSONFrom(&got, wrap(strings.NewReader(stdout)), wrap(strings.NewReader(stderr)))
			require.NoError(t, err)
			require.Equal(t, string(want), got.String())
			require.Equal(t, int64(len(want)), n)
		}
	})
}

// TestExecResult_WriteJSON_allFields: WriteJSON knows every field of
// ExecResult; a new field fails here until WriteJSON writes it.
func TestExecResult_WriteJSON_allFields(t *testing.T) {
	t.Parallel()
	r := ExecResult{ExitCode: 1, Stdout: "o", Stderr: "e", StdoutTruncated: true, StderrTruncated: true,
		TimedOut: true, DurationMS: 2, Signal: "killed", Path: "/bin/x", StdoutLen: 5, StderrLen: 6}
	v := reflect.ValueOf(r)
	for i := range v.NumField() {
		require.False(t, v.Field(i).IsZero(), "set field %s in this test", v.Type().Field(i).Name)
	}
	want, err := Encode(r)
	require.NoError(t, err)
	var got bytes.Buffer
	_, err = r.WriteJSON(&got)
	require.NoError(t, err)
	require.Equal(t, string(want), got.String())
}
