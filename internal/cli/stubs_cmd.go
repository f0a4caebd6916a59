package cli

import "errors"

var errNotYet = errors.New("not yet implemented")

// FilterCmd cleans records.
type FilterCmd struct{}

// Run filters.
func (c *FilterCmd) Run() error { return errNotYet }

