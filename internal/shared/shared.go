// Package shared finds the project's shared data folder (models, specs,
// evaluation sets), which lives beside the clone as ../shared and is never
// committed. $DEGEN_SHARED overrides the location.
package shared

import (
	"errors"
	"os"
	"path/filepath"
)

// Dir returns the shared folder: $DEGEN_SHARED if set, else the first
// "shared" folder found beside the module root or one of its parents,
// starting from the working directory.
func Dir() (string, error) {
	if d := os.Getenv("DEGEN_SHARED"); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			cand := filepath.Join(filepath.Dir(d), "shared")
			if fi, err := os.Stat(cand); err == nil && fi.IsDir() {
				return cand, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", errors.New("shared folder not found: put it beside the clone as ../shared or set DEGEN_SHARED")
		}
	}
}

// Path joins elem to the shared folder.
func Path(elem ...string) (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{d}, elem...)...), nil
}

// Models is the folder of model files, ../shared/models.
func Models() (string, error) { return Path("models") }
