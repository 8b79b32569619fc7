package mask

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriter_Write(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		writes  []string
		want    string
	}{
		{"whole value", []string{"s3cr3t-pw"}, []string{"whole=s3cr3t-pw\n"}, "whole=*******\n"},
		{"split across writes", []string{"s3cr3t-pw"}, []string{"s3cr", "3t-pw\n"}, "*******\n"},
		{"split byte by byte", []string{"abcd"}, []string{"x", "a", "b", "c", "d", "y"}, "x*******y"},
		{"prefix that never completes", []string{"secret"}, []string{"sec", "ond\n"}, "second\n"},
		{"prefix held until flush", []string{"secret"}, []string{"the sec"}, "the sec"},
		{"longest value wins", []string{"abcd", "abcdef"}, []string{"abcdef abcd"}, "******* *******"},
		{"shorter value completes when longer fails", []string{"abcd", "abcdefgh"}, []string{"abcde", "x"}, "*******ex"},
		{"overlapping values are one run", []string{"abcdef", "defghi"}, []string{"xabcdefghiy"}, "x*******y"},
		{"overlap found after a shorter match", []string{"bcde", "abcdefg"}, []string{"abcdefg!"}, "*******!"},
		{"touching values stay two", []string{"abcd"}, []string{"abcdabcd"}, "**************"},
		{"a value inside a longer one", []string{"cdef", "abcdefgh"}, []string{"abcdefgh"}, "*******"},
		{"blank values ignored", []string{"  ", ""}, []string{"a  b"}, "a  b"},
		{"short values ignored", []string{"x", "ok", " ab "}, []string{"x ok ab"}, "x ok ab"},
		{"several occurrences", []string{"pass"}, []string{"pass pass", "pass"}, "******* **************"},
		{"no values", nil, []string{"plain"}, "plain"},
		{"a line of a multi-line value", []string{"line-one\nline-two-SECRET"}, []string{"got line-two-SECRET\n"}, "got *******\n"},
		{"the folded form", []string{"line-one\nline-two-SECRET"}, []string{"v=line-one line-two-SECRET\n"}, "v=*******\n"},
		{"the JSON form", []string{"line-one\nline-two\"q\""}, []string{`{"v":"line-one\nline-two\"q\""}`}, `{"v":"*******"}`},
		{"the base64 form", []string{"Sup3rS3cret"}, []string{"U3VwM3JTM2NyZXQ=\n"}, "*******\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set := NewSet()
			for _, s := range tc.secrets {
				set.Add(s)
			}
			var got bytes.Buffer
			w := NewWriter(&got, set)
			for _, s := range tc.writes {
				n, err := w.Write([]byte(s))
				require.NoError(t, err)
				require.Equal(t, len(s), n)
			}
			require.NoError(t, w.Flush())
			require.Equal(t, tc.want, got.String())
			require.Equal(t, tc.want, set.String(strings.Join(tc.writes, "")), "String and a Writer must agree")
		})
	}
}

// TestWriter_addWhileHeld: a value added while the writer holds back the
// start of it is still masked when the rest comes.
func TestWriter_addWhileHeld(t *testing.T) {
	t.Parallel()
	set := NewSet()
	set.Add("s3cr3t-one")
	var got bytes.Buffer
	w := NewWriter(&got, set)
	_, _ = w.Write([]byte("a s3cr3t-o")) // held: "s3cr3t-o" may begin s3cr3t-one
	set.Add("s3cr3t-ox-value")
	_, _ = w.Write([]byte("x-value b s3cr3t-one\n"))
	require.NoError(t, w.Flush())
	require.Equal(t, "a ******* b *******\n", got.String())
}

// TestWriter_stages: a later set sees the stream masked by the earlier one,
// so a value of the later set that covers part of a value of the earlier
// one cannot leave the rest of it in clear.
func TestWriter_stages(t *testing.T) {
	t.Parallel()
	secrets, guest := NewSet(), NewSet()
	secrets.Add("P@ssw0rd-LONG")
	guest.Add("xP@ss") // a guest masks the start of a secret
	guest.Add("denied")
	var got bytes.Buffer
	w := NewWriter(&got, secrets, guest)
	_, _ = w.Write([]byte("xP@ssw0rd-LONG denied\n"))
	require.NoError(t, w.Flush())
	require.Equal(t, "x******* *******\n", got.String())
	require.NotContains(t, got.String(), "w0rd")
}

// TestWriter_Discard: a stream cut while the start of a value is held back
// never prints that start.
func TestWriter_Discard(t *testing.T) {
	t.Parallel()
	set := NewSet()
	set.Add("s3cr3t-value")
	var got bytes.Buffer
	w := NewWriter(&got, set)
	_, _ = w.Write([]byte("log s3cr3t-v"))
	w.Discard()
	require.NoError(t, w.Flush())
	require.Equal(t, "log ", got.String())
	_, _ = w.Write([]byte("next s3cr3t-value\n"))
	require.NoError(t, w.Flush())
	require.Equal(t, "log next *******\n", got.String())
}

func TestSet_String(t *testing.T) {
	t.Parallel()
	set := NewSet()
	set.Add("Sup3rS3cretPw")
	require.Equal(t, "run fail *******: not found", set.String("run fail Sup3rS3cretPw: not found"))
	require.Equal(t, "plain", NewSet().String("plain"))
}

// TestSet_Add_manyBatches: values added one at a time, with masking in
// between, all stay masked (each addition is a batch of its own, merged
// into larger ones as the set grows).
func TestSet_Add_manyBatches(t *testing.T) {
	t.Parallel()
	set := NewSet()
	var want, in strings.Builder
	for i := range 300 {
		v := "value-" + strings.Repeat("v", i%7) + string(rune('a'+i%26)) + string(rune('A'+i/26))
		set.Add(v)
		require.Equal(t, "<*******>", set.String("<"+v+">"), "value %d", i)
		in.WriteString(v + " ")
		want.WriteString("******* ")
	}
	require.Equal(t, want.String(), set.String(in.String()))
	m := set.matcher()
	require.LessOrEqual(t, len(m.autos), 12, "batches must merge as the set grows")
}

// TestWriter_hammer writes concurrently while values are added: run with -race.
func TestWriter_hammer(t *testing.T) {
	t.Parallel()
	set := NewSet()
	var got bytes.Buffer
	w := NewWriter(&got, set)
	set.Add("topsecret")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				_, _ = w.Write([]byte("line topsecret\n"))
				set.Add(strings.Repeat("z", i+4))
			}
		}()
	}
	wg.Wait()
	require.NoError(t, w.Flush())
	require.NotContains(t, got.String(), "topsecret")
	require.Equal(t, 8*200, strings.Count(got.String(), "line *******\n"))
}

func FuzzWriter(f *testing.F) {
	f.Add("s3cr3t", "xx s3c", "r3t yy", 3)
	f.Fuzz(func(t *testing.T, secret, a, b string, cut int) {
		if !long(secret) || strings.ContainsAny(secret, "*") {
			return
		}
		set := NewSet()
		set.Add(secret)
		var got bytes.Buffer
		w := NewWriter(&got, set)
		in := a + secret + b
		if cut < 0 {
			cut = -cut
		}
		cut %= len(in) + 1
		_, _ = w.Write([]byte(in[:cut]))
		_, _ = w.Write([]byte(in[cut:]))
		require.NoError(t, w.Flush())
		require.NotContains(t, got.String(), secret, "secret leaked from %q", in)
	})
}
