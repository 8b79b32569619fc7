package run

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/tmpl"
)

// TestSession_addSecrets: the run's secrets mask everything, a step's
// outputs only what mixins print; a value too short to mask is said once
// per name, without its content.
func TestSession_addSecrets(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	s, err := newSession(Config{Stdout: &stdout, Stderr: &stderr}, Deps{})
	require.NoError(t, err)
	s.addSecrets([]tmpl.Secret{
		{Name: "credential tok", Value: "tok-secret-1"},
		{Name: "credential t", Value: "x"},
		{Name: "credential t", Value: "y"},
		{Name: "output made", Value: "made by tok-secret-1", FromStep: true},
		{Name: "output id", Value: "42", FromStep: true},
	})
	require.Equal(t, 2, strings.Count(stderr.String(), "warning: "), stderr.String())
	require.Contains(t, stderr.String(), "warning: credential t is sensitive, but it is shorter than 4 characters, so it is not masked\n")
	require.Contains(t, stderr.String(), "warning: output id is sensitive, but it is shorter than 4 characters")
	require.NotContains(t, stderr.String(), "42")

	// mixbox's own text: the run's secrets only.
	err = s.maskErr(errkind.WithHint(errors.New("failed with tok-secret-1 near made by"), "retry without tok-secret-1"))
	require.EqualError(t, err, "failed with ******* near made by")
	require.Equal(t, "retry without *******", errkind.Hint(err), "the hint is masked too")
	// What mixins print: both, the run's secrets first, so an output that
	// quotes a credential is still masked whole.
	require.Equal(t, "[*******]", s.maskAll("[made by tok-secret-1]"))
	_, _ = s.log.mixinOut.Write([]byte("out: made by tok-secret-1\n"))
	s.log.flush()
	require.Equal(t, "out: *******\n", stdout.String())
}
