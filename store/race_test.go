//go:build race

package store

// raceEnabled reports whether the race detector is on: tests that need many
// records use fewer, since it slows everything down several times.
const raceEnabled = true
