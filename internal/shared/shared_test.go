package shared

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestModelsFound(t *testing.T) {
	d, err := Models()
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(d, "stories260K.bin"))
	require.NoError(t, err)
}

func TestEnvOverride(t *testing.T) {
	t.Setenv("DEGEN_SHARED", "/nowhere")
	d, err := Dir()
	require.NoError(t, err)
	require.Equal(t, "/nowhere", d)
}
