package review

import (
	"fmt"
	"strings"
)

// suggest returns the one of known that word is most likely a typo of, or
// "": the same word in another case, else one at most two edits away
// (insert, delete, substitute, swap two neighbours) and less than half its
// length, the first such on a tie.
func suggest(word string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if k == word {
			continue
		}
		if strings.EqualFold(k, word) {
			return k
		}
		if d := distance(strings.ToLower(word), strings.ToLower(k)); d < bestD && 2*d < len(word) {
			best, bestD = k, d
		}
	}
	return best
}

// didYouMean returns ` (did you mean "x"?)` for suggest's answer, or "".
func didYouMean(word string, known []string) string {
	if s := suggest(word, known); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// distance is the optimal string alignment distance of a and b, in bytes:
// Levenshtein's with the swap of two neighbours counted as one edit.
func distance(a, b string) int {
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
