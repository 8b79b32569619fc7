package suggest

// Closest returns the name of known closest to name, and whether one is
// close enough to suggest (see the package doc). An exact match is not a
// suggestion; ties go to the first in known.
func Closest(name string, known []string) (string, bool) {
	best, bestDist := "", 0
	for _, k := range known {
		if k == name || k == "" {
			continue
		}
		d := Distance(name, k)
		if d > 2 || d > len(name)/2 {
			continue
		}
		if best == "" || d < bestDist {
			best, bestDist = k, d
		}
	}
	return best, best != ""
}

// Distance is the optimal string alignment distance of a and b: edits of
// one byte, and swaps of two neighbouring bytes.
func Distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
