//go:build !linux

package model

func adviseHuge(b []byte) {}
