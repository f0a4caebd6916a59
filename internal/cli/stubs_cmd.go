package cli

import "errors"

var errNotYet = errors.New("not yet implemented")

// DetectCmd flags degenerate records.
type DetectCmd struct{}

// Run detects.
func (c *DetectCmd) Run() error { return errNotYet }

// FilterCmd cleans records.
type FilterCmd struct{}

// Run filters.
func (c *FilterCmd) Run() error { return errNotYet }

// ModelSynthCmd writes synthetic models.
type ModelSynthCmd struct{}

// Run synthesises.
func (c *ModelSynthCmd) Run() error { return errNotYet }
