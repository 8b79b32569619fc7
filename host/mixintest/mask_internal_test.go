package mixintest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMaskValues(t *testing.T) {
	t.Parallel()
	got := maskValues(`exec call 1: want helm [x]`+"\n"+`got helm [--password s3cr3t]`, []string{"s3cr", "s3cr3t", " "})
	require.Equal(t, "exec call 1: want helm [x]\ngot helm [--password *******]", got)
}
