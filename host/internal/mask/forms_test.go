package mask

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		value     string
		want      []string // forms that must be there
		notWant   []string // forms that must not
		wantShort Short
	}{
		{"one line", "s3cr3t-pw", []string{"s3cr3t-pw", "czNjcjN0LXB3"}, nil, Short{}},
		{
			"multi-line", "line-one\nline-two-SECRET",
			[]string{"line-one\nline-two-SECRET", "line-one", "line-two-SECRET", "line-one line-two-SECRET", `line-one\nline-two-SECRET`},
			nil, Short{},
		},
		{
			"CRLF and indentation", "  first-line  \r\n\tsecond-line",
			[]string{"  first-line  ", "first-line", "\tsecond-line", "second-line", "first-line second-line"},
			nil, Short{},
		},
		{"an empty line folds to a newline", "para-one\n\npara-two", []string{"para-one\npara-two", "para-one para-two"}, nil, Short{}},
		{"short lines", "ab\ncd\nlong-line", []string{"ab\ncd\nlong-line", "long-line", "ab cd long-line"}, []string{"ab", "cd"}, Short{Lines: 2}},
		{"short value", "abc", nil, []string{"abc"}, Short{Value: true}},
		{"short after trimming", "  ab \n", nil, nil, Short{Value: true}},
		{"four characters", "abcd", []string{"abcd"}, nil, Short{}},
		{"four runes", "äöüß", []string{"äöüß"}, nil, Short{}},
		{"blank", " \n\t", nil, nil, Short{}},
		{"JSON escapes", `a"b<c>&d`, []string{`a\"b\u003cc\u003e\u0026d`, `a\"b<c>&d`}, nil, Short{}},
		{"control characters", "tok\x1b[0m-x", []string{`tok\x1b[0m-x`}, nil, Short{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, short := Forms(tc.value)
			require.Equal(t, tc.wantShort, short)
			if len(got) > 0 {
				require.Equal(t, tc.value, got[0], "the value itself comes first")
			}
			for _, w := range tc.want {
				require.Contains(t, got, w)
			}
			for _, w := range tc.notWant {
				require.NotContains(t, got, w)
			}
			seen := map[string]bool{}
			for _, f := range got {
				require.True(t, long(f), "form %q is shorter than MinLen", f)
				require.False(t, seen[f], "form %q twice", f)
				seen[f] = true
			}
		})
	}
}

func TestShort_String(t *testing.T) {
	t.Parallel()
	require.Empty(t, Short{}.String())
	require.False(t, Short{}.Any())
	require.Equal(t, "it is shorter than 4 characters, so it is not masked", Short{Value: true}.String())
	require.Equal(t, "1 of its lines is shorter than 4 characters, so that line is not masked by itself", Short{Lines: 1}.String())
	require.Contains(t, Short{Lines: 3}.String(), "3 of its lines are")
	require.True(t, Short{Lines: 3}.Any())
}
