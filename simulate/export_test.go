package simulate

// SetMaxHeld lowers the bytes the day buckets may hold, for tests, and
// returns a function that restores it.
func SetMaxHeld(n int) (restore func()) {
	old := maxHeld
	maxHeld = n
	return func() { maxHeld = old }
}
