package kubernetes_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/internal/testutil"
)

// The parts of Kubernetes objects the example uses.
type (
	object struct {
		APIVersion string                `yaml:"apiVersion"`
		Kind       string                `yaml:"kind"`
		Metadata   struct{ Name string } `yaml:"metadata"`
		StringData map[string]string     `yaml:"stringData"`
		Spec       struct {
			Template struct {
				Spec podSpec `yaml:"spec"`
			} `yaml:"template"`
			podSpec `yaml:",inline"`
		} `yaml:"spec"`
	}
	podSpec struct {
		SecurityContext struct {
			RunAsUser  *int `yaml:"runAsUser"`
			RunAsGroup *int `yaml:"runAsGroup"`
		} `yaml:"securityContext"`
		InitContainers []container `yaml:"initContainers"`
		Containers     []container `yaml:"containers"`
		Volumes        []struct {
			Name   string
			Secret *struct {
				SecretName string `yaml:"secretName"`
			}
			PersistentVolumeClaim *struct {
				ClaimName string `yaml:"claimName"`
			} `yaml:"persistentVolumeClaim"`
			EmptyDir any `yaml:"emptyDir"`
		}
	}
	container struct {
		Name       string
		Image      string
		Command    []string
		WorkingDir string `yaml:"workingDir"`
		Env        []struct {
			Name, Value string
		}
		EnvFrom []struct {
			SecretRef struct{ Name string } `yaml:"secretRef"`
		} `yaml:"envFrom"`
		VolumeMounts []struct {
			Name      string
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	}
)

// bundle is what a driver must provide for examples/hello, from porter.yaml.
type bundle struct {
	Name, Version string
	Parameters    []struct {
		Name, Type, Env, Path string
		Sensitive             bool
	}
	Credentials []struct{ Name, Env, Path string }
}

func loadObjects(t *testing.T, file string) map[string]object {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(false)
	out := map[string]object{}
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err, file)
		require.NotEmpty(t, o.Kind, "%s: an object without kind", file)
		out[o.Kind+"/"+o.Metadata.Name] = o
	}
}

// envVar is the env var a driver sets for a parameter: its env, else its
// name upper-cased with - and . as _ (Porter's ParamToEnvVar).
func envVar(name, env string) string {
	if env != "" {
		return env
	}
	return strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(name))
}

// TestJob: the Job runs the image as its entrypoint does, with every
// variable a driver sets for examples/hello (sensitive ones from a Secret),
// its files through a writable volume, and the outputs on a volume that
// outputs.yaml reads.
func TestJob(t *testing.T) {
	t.Parallel()
	objs := loadObjects(t, "job.yaml")
	data, err := os.ReadFile(filepath.Join("..", "hello", "bundle", "porter.yaml"))
	require.NoError(t, err)
	var b bundle
	require.NoError(t, yaml.Unmarshal(data, &b))

	job, ok := objs["Job/hello-install"]
	require.True(t, ok, "job.yaml has no Job hello-install")
	pod := job.Spec.Template.Spec
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]
	require.Equal(t, []string{host.ImageEntrypoint}, c.Command, "the container runs the image's entrypoint")
	require.Equal(t, host.ImageWorkingDir, c.WorkingDir)
	require.Equal(t, 65532, *pod.SecurityContext.RunAsUser, "Porter's bundle user")
	require.Equal(t, 0, *pod.SecurityContext.RunAsGroup, "group 0, which mixbox build's g=u makes able to write /cnab")

	makefile, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^hello-image:.*\n(?:\t.*\n)*?\t.*--tag (\S+)`).FindSubmatch(makefile)
	require.NotNil(t, m, "the Makefile's hello-image target has no --tag")
	for _, ic := range append(pod.InitContainers, c) {
		require.Equal(t, string(m[1]), ic.Image, "container %s runs the image make hello-image builds", ic.Name)
	}

	// Environment: all from Secrets, as Porter's driver passes it.
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		s, ok := objs["Secret/"+from.SecretRef.Name]
		require.True(t, ok, "envFrom names Secret %s, which job.yaml does not define", from.SecretRef.Name)
		for k, v := range s.StringData {
			env[k] = v
		}
	}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	require.Equal(t, "install", env["CNAB_ACTION"])
	require.Equal(t, b.Name, env["CNAB_BUNDLE_NAME"])
	require.Equal(t, b.Version, env["CNAB_BUNDLE_VERSION"])
	require.NotEmpty(t, env["CNAB_INSTALLATION_NAME"])
	require.NotEmpty(t, env["CNAB_REVISION"])
	for _, e := range c.Env {
		for _, p := range b.Parameters {
			require.False(t, p.Sensitive && e.Name == envVar(p.Name, p.Env), "sensitive parameter %s is a literal in the Job; put it in the Secret", p.Name)
		}
	}

	// Mounts: by path in the main container.
	volumes := map[string]int{}
	for i, v := range pod.Volumes {
		volumes[v.Name] = i
	}
	mountedAt := func(ct container, p string) (string, bool) {
		for _, vm := range ct.VolumeMounts {
			if p == vm.MountPath || strings.HasPrefix(p, strings.TrimSuffix(vm.MountPath, "/")+"/") {
				return vm.Name, true
			}
		}
		return "", false
	}
	// The driver's files: porter-state and every file parameter, in a
	// volume the init container fills from the files Secret.
	files := []string{"/porter/state.tgz"}
	for _, p := range b.Parameters {
		if p.Type == "file" || p.Path != "" {
			files = append(files, p.Path)
		} else {
			require.Contains(t, env, envVar(p.Name, p.Env), "parameter %s has no env var in the Job", p.Name)
		}
	}
	for _, cr := range b.Credentials {
		if cr.Env != "" {
			require.Contains(t, env, cr.Env, "credential %s has no env var in the Job", cr.Name)
		}
		if cr.Path != "" {
			files = append(files, cr.Path)
		}
	}
	require.Len(t, pod.InitContainers, 1)
	init := pod.InitContainers[0]
	script := strings.Join(init.Command, " ")
	for _, f := range files {
		vol, ok := mountedAt(c, f)
		require.True(t, ok, "%s is not on a volume of the container", f)
		require.NotNil(t, pod.Volumes[volumes[vol]].EmptyDir, "%s must be writable (the runtime decodes file parameters in place): an emptyDir", f)
		initVol, ok := mountedAt(init, f)
		require.True(t, ok && initVol == vol, "the init container does not fill %s", f)
		require.Contains(t, script, f, "the init container does not copy %s", f)
		var fromSecret bool
		for _, vm := range init.VolumeMounts {
			v := pod.Volumes[volumes[vm.Name]]
			if v.Secret == nil {
				continue
			}
			s, ok := objs["Secret/"+v.Secret.SecretName]
			require.True(t, ok, "volume %s names Secret %s, which job.yaml does not define", vm.Name, v.Secret.SecretName)
			_, has := s.StringData[path.Base(f)]
			fromSecret = fromSecret || (has && strings.Contains(script, path.Join(vm.MountPath, path.Base(f))))
		}
		require.True(t, fromSecret, "%s does not come from a key of the files Secret", f)
	}

	// Outputs: a persistent volume at the image's outputs directory, read
	// back by outputs.yaml.
	vol, ok := mountedAt(c, host.ImageOutputsDir+"/greeting")
	require.True(t, ok, "nothing is mounted at %s", host.ImageOutputsDir)
	claim := pod.Volumes[volumes[vol]].PersistentVolumeClaim
	require.NotNil(t, claim, "the outputs must outlive the pod: a PersistentVolumeClaim")
	_, ok = objs["PersistentVolumeClaim/"+claim.ClaimName]
	require.True(t, ok, "job.yaml does not define the claim %s", claim.ClaimName)

	reader := loadObjects(t, "outputs.yaml")["Pod/hello-outputs"]
	require.Len(t, reader.Spec.Containers, 1)
	var reads bool
	for _, v := range reader.Spec.Volumes {
		reads = reads || (v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim.ClaimName)
	}
	require.True(t, reads, "outputs.yaml does not mount %s", claim.ClaimName)
}

// TestJob_run runs job.yaml's pod as a kubelet would, with no cluster: the
// images built and unpacked, each volume a host directory bind-mounted at its
// mount paths (a Secret's keys as files), the init container, then the
// container as the pod's user with the Secrets' environment; then
// outputs.yaml's pod reads the outputs volume. The install succeeds, the
// greeting lands on the volume, and the token is never printed.
func TestJob_run(t *testing.T) {
	t.Parallel()
	testutil.RequireChroot(t)
	base := testutil.BusyboxBase(t)
	mixbox := testutil.NewBuilds(t.TempDir()).Binary(t, "./cmd/mixbox", "mixbox")
	platform := "linux/" + runtime.GOARCH
	out := filepath.Join(t.TempDir(), "image")
	makefile, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	require.NoError(t, err)
	tag := string(regexp.MustCompile(`(?m)^hello-image:.*\n(?:\t.*\n)*?\t.*--tag (\S+)`).FindSubmatch(makefile)[1])
	cmd := exec.Command(mixbox, "build", "--dir", filepath.Join("..", "hello", "bundle"), "--base", "oci:"+base,
		"--runtime", platform+"="+mixbox, "--tag", tag, "-o", "oci:"+out)
	cmd.Env = []string{"HOME=" + t.TempDir()}
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "mixbox build: %s", msg)
	images := map[string]v1.Image{
		tag:              testutil.LayoutImage(t, out, platform),
		"busybox:stable": testutil.LayoutImage(t, base, platform), // what outputs.yaml reads with
	}

	objs := loadObjects(t, "job.yaml")
	for k, v := range loadObjects(t, "outputs.yaml") {
		objs[k] = v
	}
	// A host directory per volume of the objects; the claim's outlives pods.
	claims := map[string]string{}
	volumeDir := func(pod podSpec, name string) string {
		for _, v := range pod.Volumes {
			if v.Name != name {
				continue
			}
			switch {
			case v.PersistentVolumeClaim != nil:
				dir, ok := claims[v.PersistentVolumeClaim.ClaimName]
				if !ok {
					_, defined := objs["PersistentVolumeClaim/"+v.PersistentVolumeClaim.ClaimName]
					require.True(t, defined, "no claim %s", v.PersistentVolumeClaim.ClaimName)
					dir = t.TempDir()
					require.NoError(t, os.Chmod(dir, 0o775)) // fsGroup 0: group-writable
					claims[v.PersistentVolumeClaim.ClaimName] = dir
				}
				return dir
			case v.Secret != nil:
				s, ok := objs["Secret/"+v.Secret.SecretName]
				require.True(t, ok, "no Secret %s", v.Secret.SecretName)
				dir := t.TempDir()
				for k, val := range s.StringData {
					require.NoError(t, os.WriteFile(filepath.Join(dir, k), []byte(val), 0o644))
				}
				return dir
			case v.EmptyDir != nil:
				dir := t.TempDir()
				require.NoError(t, os.Chmod(dir, 0o777))
				return dir
			}
			t.Fatalf("volume %s: the emulation knows claims, Secrets and emptyDirs", name)
		}
		t.Fatalf("no volume %s", name)
		return ""
	}
	runPod := func(pod podSpec) []string {
		dirs := map[string]string{}
		var logs []string
		for _, c := range append(append([]container{}, pod.InitContainers...), pod.Containers...) {
			img, ok := images[c.Image]
			require.True(t, ok, "container %s: no image %s here", c.Name, c.Image)
			cfg, err := img.ConfigFile()
			require.NoError(t, err)
			ct := testutil.Container{Root: testutil.Unpack(t, img), Dir: c.WorkingDir, Env: cfg.Config.Env, Mounts: map[string]string{}}
			if ct.Dir == "" {
				ct.Dir = cfg.Config.WorkingDir
			}
			if u := pod.SecurityContext.RunAsUser; u != nil {
				ct.User = fmt.Sprintf("%d:%d", *u, *pod.SecurityContext.RunAsGroup)
			}
			for _, from := range c.EnvFrom {
				for k, v := range objs["Secret/"+from.SecretRef.Name].StringData {
					ct.Env = append(ct.Env, k+"="+v)
				}
			}
			for _, e := range c.Env {
				ct.Env = append(ct.Env, e.Name+"="+e.Value)
			}
			for _, vm := range c.VolumeMounts {
				if _, ok := dirs[vm.Name]; !ok {
					dirs[vm.Name] = volumeDir(pod, vm.Name)
				}
				ct.Mounts[vm.MountPath] = dirs[vm.Name]
			}
			argv := c.Command
			if len(argv) == 0 {
				argv = cfg.Config.Entrypoint
			}
			code, stdout, stderr := ct.Run(t, argv...)
			require.Equal(t, 0, code, "container %s:\nstdout:\n%s\nstderr:\n%s", c.Name, stdout, stderr)
			logs = append(logs, stdout+stderr)
		}
		return logs
	}

	job := objs["Job/hello-install"].Spec.Template.Spec
	logs := runPod(job)
	install := logs[len(logs)-1]
	require.Contains(t, install, "executing install action from hello (installation: hello)")
	require.Contains(t, install, "Hello, kubernetes!")
	require.NotContains(t, install, objs["Secret/hello-install-env"].StringData["TOKEN"], "the token was printed")
	greeting, err := os.ReadFile(filepath.Join(claims["hello-outputs"], "greeting"))
	require.NoError(t, err)
	require.Equal(t, "Hello, kubernetes", string(greeting))
	require.FileExists(t, filepath.Join(claims["hello-outputs"], "porter-state"))

	read := runPod(objs["Pod/hello-outputs"].Spec.podSpec)
	require.Contains(t, read[0], "greeting: Hello, kubernetes")
}
