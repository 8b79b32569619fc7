package environ

import "strings"

// Lookup returns the value of key in env and whether it is set. The last
// entry for key wins.
func Lookup(env []string, key string) (string, bool) {
	if key == "" {
		return "", false
	}
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// Map returns env as a map from key to value. The last entry for a key wins.
func Map(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}
