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

type composeFile struct {
	Services map[string]struct {
		Image         string            `yaml:"image"`
		Command       []string          `yaml:"command"`
		Environment   map[string]string `yaml:"environment"`
		Profiles      []string          `yaml:"profiles"`
		Ports         []string          `yaml:"ports"`
		ContainerName string            `yaml:"container_name"`
		DependsOn     map[string]any    `yaml:"depends_on"`
		StopSignal    string            `yaml:"stop_signal"`
		StopGrace     string            `yaml:"stop_grace_period"`
		Build         struct {
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
	} `yaml:"services"`
}

func readCompose(t *testing.T, path string) composeFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// The production compose file: a three-node NATS cluster with JetStream,
// migrations first, serve and a dispatch service that scales, Mailpit only
// in the dev profile, and the same images as docker-compose.yml.
func TestProductionCompose(t *testing.T) {
	c := readCompose(t, "compose.yaml")
	root := readCompose(t, "../docker-compose.yml")
	for _, name := range []string{"postgres", "nats1", "nats2", "nats3", "migrate", "serve", "dispatch", "mailpit"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %q is missing", name)
		}
	}
	for name, svc := range c.Services {
		for dep := range svc.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("%s depends on unknown service %q", name, dep)
			}
			if dep == "mailpit" {
				t.Errorf("%s depends on mailpit, which runs only in the dev profile", name)
			}
		}
		if svc.Build.Dockerfile != "" {
			if _, err := os.Stat(filepath.Join("..", svc.Build.Dockerfile)); err != nil {
				t.Errorf("%s: Dockerfile %v", name, err)
			}
		}
	}
	if p := c.Services["mailpit"].Profiles; len(p) != 1 || p[0] != "dev" {
		t.Errorf("mailpit runs in profiles %v, want only dev", p)
	}
	for _, img := range []struct{ prod, root string }{{"postgres", "postgres"}, {"nats1", "nats"}, {"mailpit", "mailpit"}} {
		if a, b := c.Services[img.prod].Image, root.Services[img.root].Image; a != b {
			t.Errorf("compose.yaml's %s runs %s, docker-compose.yml's %s %s", img.prod, a, img.root, b)
		}
	}

	var natsURLs []string
	for _, name := range []string{"serve", "dispatch"} {
		svc := c.Services[name]
		checkArgs(t, "compose.yaml "+name, svc.Command)
		names := make([]string, 0, len(svc.Environment))
		for k := range svc.Environment {
			names = append(names, k)
		}
		checkEnv(t, "compose.yaml "+name, names...)
		for _, k := range []string{"COMMUNIQUE_DATABASE_URL", "COMMUNIQUE_NATS_URL", "COMMUNIQUE_SMTP_URL", "COMMUNIQUE_FROM", "COMMUNIQUE_SECRET"} {
			if svc.Environment[k] == "" {
				t.Errorf("compose.yaml %s: %s is not set", name, k)
			}
		}
		if r := svc.Environment["COMMUNIQUE_STREAM_REPLICAS"]; r != "3" {
			t.Errorf("compose.yaml %s: COMMUNIQUE_STREAM_REPLICAS %q on a three-node cluster, want 3", name, r)
		}
		if _, err := time.ParseDuration(svc.StopGrace); err != nil || svc.StopSignal != "SIGTERM" {
			t.Errorf("compose.yaml %s: stop with %q within %q", name, svc.StopSignal, svc.StopGrace)
		}
		natsURLs = append(natsURLs, svc.Environment["COMMUNIQUE_NATS_URL"])
	}
	if d := c.Services["dispatch"]; d.ContainerName != "" || len(d.Ports) > 0 {
		t.Errorf("dispatch has a fixed name %q or published ports %v: it could not scale", d.ContainerName, d.Ports)
	}
	if c.Services["serve"].Environment["COMMUNIQUE_HTTP_ADDR"] == "" {
		t.Error("serve listens on the default 127.0.0.1, unreachable from outside its container")
	}
	for _, urls := range natsURLs {
		for _, u := range strings.Split(urls, ",") {
			host := strings.TrimSuffix(strings.TrimPrefix(u, "nats://"), ":4222")
			svc, ok := c.Services[host]
			cmd := strings.Join(svc.Command, " ")
			if !ok || !strings.Contains(cmd, "-js") || !strings.Contains(cmd, "--cluster_name communique") || !strings.Contains(cmd, "--routes") {
				t.Errorf("NATS URL %s is not a node of the JetStream cluster (%q)", u, cmd)
			}
		}
	}
	if m := c.Services["migrate"]; len(m.Command) != 1 || m.Command[0] != "migrate" {
		t.Errorf("migrate runs %v", m.Command)
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

// The systemd units run the binary's commands with its settings, and stop
// it with SIGTERM with time to drain.
func TestSystemdUnits(t *testing.T) {
	for unit, command := range map[string]string{"communique-serve.service": "serve", "communique-dispatch.service": "dispatch"} {
		data, err := os.ReadFile(filepath.Join("systemd", unit))
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string][]string{}
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
				keys[k] = append(keys[k], v)
			}
		}
		for _, env := range keys["Environment"] {
			name, _, _ := strings.Cut(env, "=")
			checkEnv(t, unit, name)
		}
		exec := strings.Fields(strings.Join(keys["ExecStart"], ""))
		if len(exec) < 2 || exec[0] != "/usr/local/bin/communique" || exec[1] != command {
			t.Errorf("%s: ExecStart %v, want communique %s", unit, exec, command)
		} else {
			checkArgs(t, unit, exec[1:])
		}
		if strings.Join(keys["KillSignal"], "") != "SIGTERM" {
			t.Errorf("%s: KillSignal %v", unit, keys["KillSignal"])
		}
		var stop int
		if _, err := fmt.Sscan(strings.Join(keys["TimeoutStopSec"], ""), &stop); err != nil || stop < 30 {
			t.Errorf("%s: TimeoutStopSec %v, want time to drain", unit, keys["TimeoutStopSec"])
		}
		if f := strings.Join(keys["EnvironmentFile"], ""); f != "/etc/communique/communique.env" {
			t.Errorf("%s: EnvironmentFile %q", unit, f)
		}
		if strings.Join(keys["User"], "") == "" || strings.Join(keys["User"], "") == "root" {
			t.Errorf("%s runs as %v", unit, keys["User"])
		}
	}
}

// The alert rules parse, have a severity and a summary, and name only
// metrics the binary exports.
func TestAlertRules(t *testing.T) {
	src, err := os.ReadFile("../metrics/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, m := range regexp.MustCompile(`Name: "(communique_[a-z_]+)"`).FindAllSubmatch(src, -1) {
		name := string(m[1])
		exported[name] = true
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			exported[name+suffix] = true
		}
	}
	if len(exported) == 0 {
		t.Fatal("no metric found in metrics/metrics.go")
	}
	data, err := os.ReadFile("prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatal(err)
	}
	seen, n := map[string]bool{}, 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" || seen[r.Alert] {
				t.Errorf("rule %q: unnamed or named twice", r.Alert)
			}
			seen[r.Alert] = true
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q", r.Alert, s)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s: no summary", r.Alert)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q", r.Alert, r.For)
				}
			}
			if strings.Count(r.Expr, "(") != strings.Count(r.Expr, ")") || strings.Count(r.Expr, "{") != strings.Count(r.Expr, "}") {
				t.Errorf("%s: unbalanced expression %q", r.Alert, r.Expr)
			}
			for _, m := range regexp.MustCompile(`\bcommunique_[a-z_]+`).FindAllString(r.Expr, -1) {
				if !exported[m] {
					t.Errorf("%s: %s is not a metric the binary exports", r.Alert, m)
				}
			}
		}
	}
	if n < 5 {
		t.Errorf("%d alert rules", n)
	}
}

// The image is built without cgo onto a distroless base, as a user other
// than root.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "FROM ") {
			froms = append(froms, strings.Fields(line)[1])
		}
	}
	if len(froms) < 2 {
		t.Fatalf("FROM %v: want a build stage and a runtime stage", froms)
	}
	final := froms[len(froms)-1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") || !strings.HasSuffix(final, ":nonroot") {
		t.Errorf("runtime image %s, want distroless static, nonroot", final)
	}
	if !strings.Contains(string(data), "CGO_ENABLED=0") {
		t.Error("the binary is not built static (CGO_ENABLED=0) for a base without libc")
	}
}
