package image

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// envKeychain finds registry credentials as docker and podman do, from the
// environment it is given rather than the process's: $DOCKER_CONFIG/config.json,
// else ~/.docker/config.json, else $REGISTRY_AUTH_FILE or
// $XDG_RUNTIME_DIR/containers/auth.json; anonymous when there is none.
// Credential helpers (credsStore, credHelpers) work as under docker.
type envKeychain struct {
	env  []string
	once sync.Once
	cf   *configfile.ConfigFile
	err  error
}

var _ authn.Keychain = (*envKeychain)(nil)

func (k *envKeychain) lookup(key string) string {
	for i := len(k.env) - 1; i >= 0; i-- {
		if name, v, ok := strings.Cut(k.env[i], "="); ok && name == key {
			return v
		}
	}
	return ""
}

func (k *envKeychain) load() (*configfile.ConfigFile, error) {
	k.once.Do(func() {
		var candidates []string
		if d := k.lookup("DOCKER_CONFIG"); d != "" {
			candidates = append(candidates, filepath.Join(d, "config.json"))
		}
		if h := k.lookup("HOME"); h != "" {
			candidates = append(candidates, filepath.Join(h, ".docker", "config.json"))
		}
		if f := k.lookup("REGISTRY_AUTH_FILE"); f != "" {
			candidates = append(candidates, f)
		}
		if d := k.lookup("XDG_RUNTIME_DIR"); d != "" {
			candidates = append(candidates, filepath.Join(d, "containers", "auth.json"))
		}
		for _, p := range candidates {
			f, err := os.Open(p)
			if err != nil {
				continue
			}
			k.cf, k.err = config.LoadFromReader(f)
			_ = f.Close() // read only
			if k.err != nil {
				k.err = fmt.Errorf("read registry credentials %s: %w", p, k.err)
			}
			return
		}
	})
	return k.cf, k.err
}

// Resolve implements authn.Keychain.
func (k *envKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	cf, err := k.load()
	if err != nil || cf == nil {
		return authn.Anonymous, err
	}
	var empty types.AuthConfig
	for _, key := range []string{target.String(), target.RegistryStr()} {
		if key == name.DefaultRegistry {
			key = authn.DefaultAuthKey
		}
		cfg, err := cf.GetAuthConfig(key)
		if err != nil {
			return nil, fmt.Errorf("read registry credentials for %s: %w", key, err)
		}
		cfg.ServerAddress = ""
		if cfg != empty {
			return authn.FromConfig(authn.AuthConfig{
				Username:      cfg.Username,
				Password:      cfg.Password,
				Auth:          cfg.Auth,
				IdentityToken: cfg.IdentityToken,
				RegistryToken: cfg.RegistryToken,
			}), nil
		}
	}
	return authn.Anonymous, nil
}
