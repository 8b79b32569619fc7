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
		{"split byte by byte", []string{"abc"}, []string{"x", "a", "b", "c", "y"}, "x*******y"},
		{"prefix that never completes", []string{"secret"}, []string{"sec", "ond\n"}, "second\n"},
		{"prefix held until flush", []string{"secret"}, []string{"the sec"}, "the sec"},
		{"longest value wins", []string{"abc", "abcdef"}, []string{"abcdef abc"}, "******* *******"},
		{"shorter value completes when longer fails", []string{"abc", "abcdef"}, []string{"abcd", "x"}, "*******dx"},
		{"blank values ignored", []string{"  ", ""}, []string{"a  b"}, "a  b"},
		{"several occurrences", []string{"pw"}, []string{"pw pw", "pw"}, "******* **************"},
		{"no values", nil, []string{"plain"}, "plain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set := NewSet()
			set.Add(tc.secrets...)
			var got bytes.Buffer
			w := NewWriter(&got, set)
			for _, s := range tc.writes {
				n, err := w.Write([]byte(s))
				require.NoError(t, err)
				require.Equal(t, len(s), n)
			}
			require.NoError(t, w.Flush())
			require.Equal(t, tc.want, got.String())
		})
	}
}

func TestSet_String(t *testing.T) {
	t.Parallel()
	set := NewSet()
	set.Add("Sup3rS3cretPw")
	require.Equal(t, "run fail *******: not found", set.String("run fail Sup3rS3cretPw: not found"))
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
				set.Add(strings.Repeat("z", i+3))
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
		if strings.TrimSpace(secret) == "" || strings.Contains(secret, Replacement) || strings.ContainsAny(secret, "*") {
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
