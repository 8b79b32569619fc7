package manifest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/manifest"
	"github.com/mixbox/mixbox/host/internal/tmpl"
	"github.com/mixbox/mixbox/internal/testutil"
)

const base = "schemaVersion: 1.0.1\nname: b\nversion: v0.1\nregistry: localhost:5000\nmixins:\n  - exec\n  - helm3@v1.2.0\n  - az:\n      extensions: [iot]\n"

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		wantErr  error
	}{
		{"valid", base + "install:\n  - exec:\n      description: hi\n", nil},
		{"yaml syntax error", base + "install:\n  - exec:\n    a: b: c\n", manifest.ErrInvalidManifest},
		{"two mixins in a step", base + "install:\n  - exec: {}\n    helm3: {}\n", manifest.ErrInvalidManifest},
		{"no mixin in a step", base + "install:\n  - {}\n", manifest.ErrInvalidManifest},
		{"undeclared mixin", base + "install:\n  - ghost:\n      a: b\n", manifest.ErrUndeclaredMixin},
		{"description not a string", base + "install:\n  - exec:\n      description: 5\n", manifest.ErrInvalidManifest},
		{"malformed credential", base + "credentials:\n  - name: c\n", manifest.ErrMalformedCredential},
		{"custom action not a list", base + "status: 5\n", manifest.ErrInvalidManifest},
		{"bad template", base + "install:\n  - exec:\n      a: \"${ x \"\n", manifest.ErrInvalidManifest},
		{"not a mapping", "- a\n", manifest.ErrInvalidManifest},
		{"empty", "", manifest.ErrInvalidManifest},
		{"duplicate field", base + "name: again\n", manifest.ErrInvalidManifest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := manifest.Parse([]byte(tc.in))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
		})
	}
}

// TestParse_errorText pins whole messages: the file, the line, what is
// wrong, and for a duplicate field where the first one is.
func TestParse_errorText(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"a duplicate field", base + "name: again\n", "invalid manifest: porter.yaml: line 10: name: duplicate key (first at line 2); keep one"},
		{"a field that is not a string", base + "description: [a]\n", "invalid manifest: porter.yaml: line 10: description: want a string, got a list"},
		{"a key that is not a name", base + "? [a]\n: b\n", "invalid manifest: porter.yaml: line 10: want a string key, got a list"},
		{"not a mapping", "- a\n", "invalid manifest: porter.yaml: line 1: the top level must be a mapping of fields (name:, mixins:, install:, ...)"},
		{"a malformed credential", base + "credentials:\n  - name: c\n", "invalid manifest: malformed credential: porter.yaml: line 11: credential c is malformed: give it an env or a path"},
		{"an undeclared mixin", base + "install:\n  - ghost:\n      a: b\n", `invalid manifest: undeclared mixin: porter.yaml: line 11: step 1 of install uses mixin "ghost", which is not declared; add it to the mixins list`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := manifest.Parse([]byte(tc.in))
			require.ErrorIs(t, err, manifest.ErrInvalidManifest)
			require.EqualError(t, err, tc.want)
		})
	}
}

// TestLoadWith_undeclaredMixins keeps a step whose mixin is not declared,
// for a linter, where Load refuses it.
func TestLoadWith_undeclaredMixins(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "porter.yaml")
	require.NoError(t, os.WriteFile(path, []byte(base+"install:\n  - ghost:\n      a: b\n"), 0o644))
	_, err := manifest.Load(path)
	require.ErrorIs(t, err, manifest.ErrUndeclaredMixin)
	m, err := manifest.LoadWith(path, manifest.Options{UndeclaredMixins: true})
	require.NoError(t, err)
	steps, err := m.Steps("install")
	require.NoError(t, err)
	require.Len(t, steps, 1)
	require.Equal(t, "ghost", steps[0].Mixin)
	require.Equal(t, 11, steps[0].Line())
}

func TestParse_fields(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse([]byte(base + `parameters:
  - {name: my-param.x, type: object, sensitive: true, default: {a: 1}, applyTo: [install]}
  - {name: f, type: file, path: cfg.json, source: {output: f}}
credentials:
  - {name: c, env: C_ENV, applyTo: [boom]}
outputs:
  - {name: o, sensitive: true, path: out.txt, applyTo: [install]}
state:
  - {name: s, path: s.txt}
dependencies:
  requires:
    - name: db
      bundle: {reference: "localhost:5000/db:v1"}
images:
  web: {repository: nginx, tag: "1.0"}
custom:
  foo: {1: one, two: 2}
customActions:
  status: {description: st, modifies: false, stateless: true}
install:
  - exec: &x
      description: "${ bundle.parameters.f } ${ bundle.outputs.o }"
status:
  - exec: *x
`))
	require.NoError(t, err)
	require.Equal(t, "0.1.0", m.Version)
	require.Equal(t, []manifest.MixinDecl{{Name: "exec", Line: 6}, {Name: "helm3", Version: "v1.2.0", Line: 7},
		{Name: "az", Config: map[string]any{"extensions": []any{"iot"}}, Line: 8}}, m.Mixins)
	p, ok := m.Parameter("my-param.x")
	require.True(t, ok)
	require.Equal(t, "MY_PARAM_X", p.EnvVar())
	require.Equal(t, map[string]any{"a": 1}, p.Default)
	require.False(t, p.AppliesTo("upgrade"))
	require.Equal(t, "db", m.Dependencies[0].Name)
	require.Equal(t, "localhost:5000/db:v1", m.Dependencies[0].Reference)
	require.Equal(t, map[string]any{"1": "one", "two": 2}, m.Custom["foo"])
	require.True(t, m.CustomActions["status"].Stateless)
	require.Equal(t, []string{"bundle.outputs.o", "bundle.parameters.f"}, m.TemplateVariables)
	require.Equal(t, []string{"o"}, m.TemplatedOutputs())
	require.Equal(t, []string{"install", "status"}, m.Actions())
	st, err := m.Steps("status")
	require.NoError(t, err)
	require.Equal(t, "exec", st[0].Mixin)
	require.Equal(t, 1, st[0].Index)
	require.Contains(t, st[0].Template, "description: \"${ bundle.parameters.f } ${ bundle.outputs.o }\"")
	require.Equal(t, "PORTER_O_OUTPUT", manifest.OutputEnvVar("o"))
	require.Equal(t, "PORTER_DB_CONN_STR_DEP_OUTPUT", manifest.DependencyOutputEnvVar("db", "conn-str"))
	require.Equal(t, "/cnab/app/s.txt", manifest.ResolvePath(m.State[0].Path))
}

func TestManifest_Steps(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse([]byte(base + "install:\n  - exec: {}\nzombies:\n  - exec: {}\ndry-run:\n"))
	require.NoError(t, err)
	tests := []struct {
		action  string
		want    int
		wantErr error
	}{
		{"install", 1, nil},
		{"zombies", 1, nil},
		{"dry-run", 0, nil},
		{"upgrade", 0, nil}, // optional in Porter: no steps
		{"uninstall", 0, manifest.ErrUnknownAction},
		{"nope", 0, manifest.ErrUnknownAction},
	}
	for _, tc := range tests {
		t.Run(tc.action, func(t *testing.T) {
			t.Parallel()
			got, err := m.Steps(tc.action)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, got, tc.want)
		})
	}
	_, err = m.Steps("nope")
	require.EqualError(t, err, `unknown action: unsupported action "nope", custom actions are defined for: dry-run, zombies`)
}

func TestManifest_InstallerImage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		b        *manifest.Bundle
		want     string
	}{
		{"computed from registry", "name: mydb\nversion: 0.1.0\nregistry: localhost:5000\n", nil,
			"localhost:5000/mydb:porter-92aa962cafb48dfdcb20c94d36c05024"},
		{"digest from bundle.json", "name: mydb\nversion: 0.1.0\nregistry: localhost:5000\n",
			&manifest.Bundle{InvocationImages: []manifest.InvocationImage{{Image: "docker.io/library/x:1", ImageType: "docker", Digest: "sha256:abc"}}},
			"x:1@sha256:abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := manifest.Parse([]byte(tc.in))
			require.NoError(t, err)
			require.Equal(t, tc.want, m.InstallerImage(tc.b, nil))
		})
	}
}

func TestManifest_ResolveImages(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse([]byte("name: b\nimages:\n  w: {repository: carolynvs/whalesayd, tag: latest}\n  n: {repository: nginx}\n"))
	require.NoError(t, err)
	b := &manifest.Bundle{Images: map[string]manifest.BundleImage{
		"w": {Image: "docker.io/carolynvs/whalesayd@sha256:abc"},
		"n": {Image: "docker.io/library/nginx"},
	}}
	got, err := m.ResolveImages(b, map[string]string{"docker.io/library/nginx": "my.reg/nginx:1.2"})
	require.NoError(t, err)
	require.Equal(t, manifest.Image{Repository: "carolynvs/whalesayd", Digest: "sha256:abc", Tag: "latest"}, got["w"])
	require.Equal(t, manifest.Image{Repository: "my.reg/nginx", Tag: "1.2"}, got["n"])
}

func TestLoadBundle(t *testing.T) {
	t.Parallel()
	b, err := manifest.LoadBundle(testutil.PorterCompatFile(t, "templating-deps-install", "bundle.json"))
	require.NoError(t, err)
	require.True(t, b.IsFileParameter("tfstate"))
	require.False(t, b.IsFileParameter("root-password"))
	require.Equal(t, []string{"porter-mysql-mysql-password-dep-output"}, b.ParametersSourcedFrom("mysql", "mysql-password"))
	require.Equal(t, []string{"porter-msg-output"}, b.ParametersSourcedFrom("", "msg"))
	_, err = manifest.ParseBundle([]byte("{"))
	require.ErrorIs(t, err, manifest.ErrInvalidBundle)
}

// FuzzParseManifest checks that parsing and rendering never panic.
func FuzzParseManifest(f *testing.F) {
	for _, dir := range testutil.PorterCompatCases(f) {
		data, err := os.ReadFile(filepath.Join(dir, "porter.yaml"))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(base + "install:\n  - exec: &a\n      b: *a\n"))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := manifest.Parse(data)
		if err != nil {
			return
		}
		env := map[string]string{}
		for _, o := range m.TemplatedOutputs() {
			env[manifest.OutputEnvVar(o)] = "null"
		}
		for _, r := range m.TemplatedDependencyOutputs() {
			env[manifest.DependencyOutputEnvVar(r.Dependency, r.Output)] = "x"
		}
		deps := map[string]*manifest.Bundle{}
		for _, d := range m.Dependencies {
			deps[d.Name] = &manifest.Bundle{Name: d.Name}
		}
		for _, action := range m.Actions() {
			steps, err := m.Steps(action)
			require.NoError(t, err)
			for _, st := range steps {
				_, _ = tmpl.RenderStep(ctx, tmpl.Input{Manifest: m, Action: action, Env: env, Dependencies: deps}, st)
			}
		}
	})
}

func TestParse_aliasBomb(t *testing.T) {
	t.Parallel()
	in := base + "install:\n  - exec:\n      a: &a [1,1,1,1,1,1,1,1,1,1]\n"
	prev := "a"
	for i := 0; i < 9; i++ {
		name := string(rune('b' + i))
		in += "      " + name + ": &" + name + " [" + strings.Repeat("*"+prev+",", 9) + "*" + prev + "]\n"
		prev = name
	}
	_, err := manifest.Parse([]byte(in))
	require.ErrorIs(t, err, manifest.ErrInvalidManifest)
	require.ErrorContains(t, err, "aliases")
}
