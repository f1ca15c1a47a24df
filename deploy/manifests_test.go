package deploy_test

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/communique/communique/app"
)

// known is every COMMUNIQUE_* variable the binary reads.
func known() map[string]bool {
	k := map[string]bool{}
	for _, s := range app.Settings() {
		k[s.Env] = true
	}
	return k
}

// checkEnv fails t for each COMMUNIQUE_* name the binary does not read.
func checkEnv(t *testing.T, where string, names ...string) {
	t.Helper()
	k := known()
	for _, n := range names {
		if strings.HasPrefix(n, "COMMUNIQUE_") && !k[n] {
			t.Errorf("%s sets %s, which the binary does not read", where, n)
		}
	}
}

// checkArgs fails t unless args are a command the manifests may run with
// flags it takes.
func checkArgs(t *testing.T, where string, args []string) {
	t.Helper()
	if len(args) == 0 {
		t.Errorf("%s: no command", where)
		return
	}
	switch args[0] {
	case "serve", "dispatch":
		fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var cfg app.Config
		cfg.RegisterFlags(fs)
		fs.Bool("no-dispatcher", false, "")
		fs.Bool("no-api", false, "")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
			t.Errorf("%s: %v: %v (arguments left: %v)", where, args, err, fs.Args())
		}
	case "migrate":
		if len(args) > 1 {
			t.Errorf("%s: migrate takes its settings from the environment, not %v", where, args[1:])
		}
	default:
		t.Errorf("%s runs %q, not serve, dispatch or migrate", where, args[0])
	}
}

// envFile reads NAME=value lines, skipping comments and blank lines.
func envFile(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		name, value, ok := strings.Cut(s, "=")
		if !ok || !regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`).MatchString(name) {
			t.Errorf("%s:%d: not NAME=value: %q", path, line, s)
			continue
		}
		vars[name] = value
	}
	return vars
}

func TestExampleEnvFiles(t *testing.T) {
	for _, path := range []string{"compose.env.example", "systemd/communique.env.example", "k8s/overlays/example/secret.env.example"} {
		vars := envFile(t, path)
		names := make([]string, 0, len(vars))
		for n := range vars {
			names = append(names, n)
		}
		checkEnv(t, path, names...)
		if len(names) == 0 {
			t.Errorf("%s sets nothing", path)
		}
	}
	// A filled-in secret file must never be committed beside its example.
	ignore, err := os.ReadFile("k8s/overlays/example/.gitignore")
	if err != nil || !strings.Contains(string(ignore), "secret.env") {
		t.Errorf("k8s/overlays/example/.gitignore does not keep secret.env out: %v", err)
	}
}

// k8sObject is what the test reads of any Kubernetes object.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		// Deployment
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				TerminationGracePeriodSeconds int         `yaml:"terminationGracePeriodSeconds"`
				InitContainers                []container `yaml:"initContainers"`
				Containers                    []container `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
		// HorizontalPodAutoscaler
		ScaleTargetRef struct {
			Kind, Name string
		} `yaml:"scaleTargetRef"`
		MinReplicas int `yaml:"minReplicas"`
		MaxReplicas int `yaml:"maxReplicas"`
		Metrics     []struct {
			Resource struct {
				Name string `yaml:"name"`
			} `yaml:"resource"`
		} `yaml:"metrics"`
	} `yaml:"spec"`
	// Service's selector is a plain map: read apart.
	Raw map[string]any `yaml:"-"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []struct {
		Name string `yaml:"name"`
	} `yaml:"env"`
	EnvFrom []struct {
		ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
		SecretRef    *struct{ Name string } `yaml:"secretRef"`
	} `yaml:"envFrom"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

type kustomization struct {
	Resources          []string `yaml:"resources"`
	ConfigMapGenerator []struct {
		Name     string   `yaml:"name"`
		Behavior string   `yaml:"behavior"`
		Literals []string `yaml:"literals"`
	} `yaml:"configMapGenerator"`
	SecretGenerator []struct {
		Name string   `yaml:"name"`
		Envs []string `yaml:"envs"`
	} `yaml:"secretGenerator"`
}

// readObjects reads every document of a YAML file.
func readObjects(t *testing.T, path string) []k8sObject {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var objs []k8sObject
	dec := yaml.NewDecoder(f)
	for {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var o k8sObject
		if err := node.Decode(&o); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := node.Decode(&o.Raw); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		objs = append(objs, o)
	}
}

func readKustomization(t *testing.T, dir string) kustomization {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", dir, err)
	}
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join(dir, r)); err != nil {
			t.Errorf("%s/kustomization.yaml: resource %v", dir, err)
		}
	}
	return k
}

// The Kubernetes manifests: settings the binary reads, commands and flags
// it takes, probes on /readyz and /healthz on a port the container opens,
// enough grace for a drain, and the autoscaler, disruption budgets and
// services aimed at the Deployments that exist.
func TestKubernetesManifests(t *testing.T) {
	base := readKustomization(t, "k8s/base")
	overlay := readKustomization(t, "k8s/overlays/example")
	configMaps, secrets := map[string]bool{}, map[string]bool{}
	for _, k := range []kustomization{base, overlay} {
		for _, g := range k.ConfigMapGenerator {
			configMaps[g.Name] = true
			for _, lit := range g.Literals {
				name, _, _ := strings.Cut(lit, "=")
				checkEnv(t, "configMap "+g.Name, name)
			}
		}
		for _, g := range k.SecretGenerator {
			secrets[g.Name] = true
			for _, e := range g.Envs {
				// The overlay's secret.env is the example's copy.
				if _, err := os.Stat(filepath.Join("k8s/overlays/example", e+".example")); err != nil {
					t.Errorf("secret %s: %v", g.Name, err)
				}
			}
		}
	}
	delay := 0 * time.Second
	for _, g := range base.ConfigMapGenerator {
		for _, lit := range g.Literals {
			if v, ok := strings.CutPrefix(lit, "COMMUNIQUE_SHUTDOWN_DELAY="); ok {
				cfg := app.Config{ShutdownDelay: v}
				var err error
				if delay, err = cfg.ShutdownDelayDuration(); err != nil {
					t.Error(err)
				}
			}
		}
	}

	var objs []k8sObject
	for _, dir := range []string{"k8s/base", "k8s/overlays/example"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, f := range files {
			if filepath.Base(f) != "kustomization.yaml" {
				objs = append(objs, readObjects(t, f)...)
			}
		}
	}
	deployments := map[string]k8sObject{}
	for _, o := range objs {
		if o.Kind == "Deployment" {
			deployments[o.Metadata.Name] = o
		}
	}
	if len(deployments) != 2 {
		t.Fatalf("%d Deployments, want the web tier and the dispatchers", len(deployments))
	}
	commands := map[string]string{}
	for name, d := range deployments {
		where := "Deployment " + name
		for k, v := range d.Spec.Selector.MatchLabels {
			if d.Spec.Template.Metadata.Labels[k] != v {
				t.Errorf("%s: its selector %s=%s does not match its pods", where, k, v)
			}
		}
		// Readiness turns 503 for the delay, requests in flight get 10 s,
		// the dispatcher finishes its chunk: give it all some room.
		if g := time.Duration(d.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second; g < delay+30*time.Second {
			t.Errorf("%s: terminationGracePeriodSeconds %v, less than the %v shutdown delay and 30 s to drain", where, g, delay)
		}
		for _, c := range append(d.Spec.Template.Spec.InitContainers, d.Spec.Template.Spec.Containers...) {
			where := where + " container " + c.Name
			checkArgs(t, where, c.Args)
			for _, e := range c.Env {
				checkEnv(t, where, e.Name)
			}
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && !configMaps[ef.ConfigMapRef.Name] {
					t.Errorf("%s: no ConfigMap %q", where, ef.ConfigMapRef.Name)
				}
				if ef.SecretRef != nil && !secrets[ef.SecretRef.Name] {
					t.Errorf("%s: no Secret %q", where, ef.SecretRef.Name)
				}
			}
		}
		c := d.Spec.Template.Spec.Containers[0]
		commands[name] = c.Args[0]
		ports := map[string]bool{}
		for _, p := range c.Ports {
			ports[p.Name] = true
			ports[fmt.Sprint(p.ContainerPort)] = true
		}
		for _, p := range []struct {
			kind, path string
			probe      *probe
		}{{"readiness", "/readyz", c.ReadinessProbe}, {"liveness", "/healthz", c.LivenessProbe}} {
			switch {
			case p.probe == nil || p.probe.HTTPGet == nil:
				t.Errorf("%s: no HTTP %s probe", where, p.kind)
			case p.probe.HTTPGet.Path != p.path:
				t.Errorf("%s: %s probe on %s, want %s", where, p.kind, p.probe.HTTPGet.Path, p.path)
			case !ports[fmt.Sprint(p.probe.HTTPGet.Port)]:
				t.Errorf("%s: %s probe on port %v, which the container does not open", where, p.kind, p.probe.HTTPGet.Port)
			}
		}
		if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
			t.Errorf("%s: resources %+v, want CPU and memory requests and a memory limit", where, c.Resources)
		}
	}
	// A dispatcher has no HTTP server: its probes are on the metrics
	// listener, which it has only when COMMUNIQUE_METRICS_ADDR is set.
	hasMetricsAddr := false
	for _, g := range base.ConfigMapGenerator {
		for _, lit := range g.Literals {
			hasMetricsAddr = hasMetricsAddr || strings.HasPrefix(lit, "COMMUNIQUE_METRICS_ADDR=")
		}
	}
	if !hasMetricsAddr {
		t.Error("COMMUNIQUE_METRICS_ADDR is not set: dispatchers would answer no probe")
	}

	var hpas, pdbs, services int
	for _, o := range objs {
		where := o.Kind + " " + o.Metadata.Name
		switch o.Kind {
		case "HorizontalPodAutoscaler":
			hpas++
			d, ok := deployments[o.Spec.ScaleTargetRef.Name]
			if !ok || commands[o.Spec.ScaleTargetRef.Name] != "dispatch" {
				t.Errorf("%s scales %q, want the dispatchers' Deployment", where, o.Spec.ScaleTargetRef.Name)
			}
			if len(o.Spec.Metrics) == 0 || o.Spec.Metrics[0].Resource.Name != "cpu" || o.Spec.MinReplicas < 1 || o.Spec.MaxReplicas < o.Spec.MinReplicas {
				t.Errorf("%s: want CPU between sane bounds, got %+v", where, o.Spec)
			}
			if ok && d.Spec.Template.Spec.Containers[0].Resources.Requests["cpu"] == "" {
				t.Errorf("%s: the dispatchers request no CPU to scale on", where)
			}
		case "PodDisruptionBudget":
			pdbs++
			if !selectsDeployment(o.Spec.Selector.MatchLabels, deployments) {
				t.Errorf("%s selects no Deployment's pods: %v", where, o.Spec.Selector.MatchLabels)
			}
		case "Service":
			services++
			spec, _ := o.Raw["spec"].(map[string]any)
			sel := map[string]string{}
			if m, ok := spec["selector"].(map[string]any); ok {
				for k, v := range m {
					sel[k] = fmt.Sprint(v)
				}
			}
			if !selectsDeployment(sel, deployments) {
				t.Errorf("%s selects no Deployment's pods: %v", where, sel)
			}
		}
	}
	if hpas != 1 || pdbs != 2 || services == 0 {
		t.Errorf("%d autoscalers, %d disruption budgets, %d services; want 1, 2 and some", hpas, pdbs, services)
	}
}

func selectsDeployment(sel map[string]string, deployments map[string]k8sObject) bool {
	if len(sel) == 0 {
		return false
	}
	for _, d := range deployments {
		all := true
		for k, v := range sel {
			all = all && d.Spec.Template.Metadata.Labels[k] == v
		}
		if all {
			return true
		}
	}
	return false
}

// The NATS chart's values ask for a three-node cluster with JetStream on
// persistent volumes.
func TestNATSValues(t *testing.T) {
	data, err := os.ReadFile("k8s/nats-values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Config struct {
			Cluster struct {
				Enabled  bool `yaml:"enabled"`
				Replicas int  `yaml:"replicas"`
			} `yaml:"cluster"`
			JetStream struct {
				Enabled   bool `yaml:"enabled"`
				FileStore struct {
					Enabled bool `yaml:"enabled"`
					PVC     struct {
						Enabled bool   `yaml:"enabled"`
						Size    string `yaml:"size"`
					} `yaml:"pvc"`
				} `yaml:"fileStore"`
			} `yaml:"jetstream"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	c := v.Config
	if !c.Cluster.Enabled || c.Cluster.Replicas != 3 || !c.JetStream.Enabled || !c.JetStream.FileStore.Enabled || !c.JetStream.FileStore.PVC.Enabled || c.JetStream.FileStore.PVC.Size == "" {
		t.Errorf("nats-values.yaml: %+v, want three nodes with JetStream on persistent volumes", c)
	}
}
