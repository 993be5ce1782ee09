using System.Text.RegularExpressions;

namespace OrleansMount.Tests.Deploy;

/// <summary>
/// deploy/k8s parsed and checked for what the API server and kubelet would refuse or silently get wrong:
/// kinds and API versions, selectors matching labels, volumes and config that exist, mount propagation and
/// privilege, images, and settings and flags that the programs really read.
/// </summary>
// Categories per test: the YAML checks are unit tests, the one that asks the built programs for their --help is integration.
public sealed partial class KubernetesManifestTests
{
    private const string Namespace = "orleansmount";
    private const string Image = "orleansmount:dev";

    private static readonly Dictionary<string, string> ApiVersions = new(StringComparer.Ordinal)
    {
        ["Namespace"] = "v1",
        ["ConfigMap"] = "v1",
        ["Secret"] = "v1",
        ["Service"] = "v1",
        ["Pod"] = "v1",
        ["Deployment"] = "apps/v1",
        ["DaemonSet"] = "apps/v1",
        ["NetworkPolicy"] = "networking.k8s.io/v1",
        ["PersistentVolumeClaim"] = "v1",
    };

    private static readonly string[] Propagations = ["None", "HostToContainer", "Bidirectional"];

    [Fact]
    [UnitTest]
    public void Every_manifest_has_a_known_kind_its_api_version_a_name_and_the_namespace()
    {
        var manifests = Load();
        Assert.Equal(
            ["ConfigMap", "DaemonSet", "Deployment", "Namespace", "NetworkPolicy", "PersistentVolumeClaim", "Pod", "Secret", "Service", "Service"],
            manifests.Select(m => Kind(m.Document)).Order(StringComparer.Ordinal));
        foreach (var (file, doc) in manifests)
        {
            var kind = Kind(doc);
            Assert.True(ApiVersions.TryGetValue(kind, out var apiVersion), $"{file}: unexpected kind {kind}");
            Assert.Equal(apiVersion, Yaml.Str(doc, "apiVersion"));
            Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", Yaml.Str(doc, "metadata.name") ?? "");
            Assert.Equal(Namespace, kind == "Namespace" ? Yaml.Str(doc, "metadata.name") : Yaml.Str(doc, "metadata.namespace"));
        }

        // kubectl apply -k applies every manifest but the example pod.
        var kustomization = Assert.Single(Yaml.LoadAll(File.ReadAllText(Path.Combine(DeployFiles.Kubernetes, "kustomization.yaml"))));
        Assert.Equal("Kustomization", Yaml.Str(kustomization, "kind"));
        Assert.Equal(
            manifests.Select(m => m.File).Distinct(StringComparer.Ordinal).Where(f => f != "example-training-pod.yaml").Order(StringComparer.Ordinal),
            Yaml.List(kustomization, "resources").Cast<string>().Order(StringComparer.Ordinal));
    }

    [Fact]
    [UnitTest]
    public void Workload_selectors_match_their_labels_and_every_volume_and_config_reference_exists()
    {
        var manifests = Load().Select(m => m.Document).ToList();
        var configMaps = manifests.Where(m => Kind(m) == "ConfigMap").ToDictionary(m => Yaml.Str(m, "metadata.name")!, m => Yaml.StringMap(m, "data"), StringComparer.Ordinal);
        var secrets = manifests.Where(m => Kind(m) == "Secret").ToDictionary(m => Yaml.Str(m, "metadata.name")!, m => Yaml.StringMap(m, "stringData"), StringComparer.Ordinal);

        foreach (var workload in manifests.Where(m => Kind(m) is "DaemonSet" or "Deployment"))
        {
            var name = Yaml.Str(workload, "metadata.name");
            var selector = Yaml.StringMap(workload, "spec.selector.matchLabels");
            var labels = Yaml.StringMap(workload, "spec.template.metadata.labels");
            Assert.NotEmpty(selector);
            Assert.All(selector, kv => Assert.True(labels.TryGetValue(kv.Key, out var v) && v == kv.Value, $"{name}: selector {kv.Key}={kv.Value} is not a label of its pods"));
        }

        foreach (var (owner, pod) in PodSpecs(manifests))
        {
            var volumes = Yaml.List(pod, "volumes").Select(v => Yaml.Str(v, "name")!).ToList();
            Assert.Equal(volumes.Count, volumes.Distinct(StringComparer.Ordinal).Count());
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var container in Yaml.List(pod, "containers"))
            {
                var where = $"{owner}/{Yaml.Str(container, "name")}";
                foreach (var mount in Yaml.List(container, "volumeMounts"))
                {
                    var volume = Yaml.Str(mount, "name")!;
                    Assert.True(volumes.Contains(volume), $"{where} mounts volume '{volume}', which the pod does not define");
                    used.Add(volume);
                    if (Yaml.Str(mount, "mountPropagation") is { } propagation)
                    {
                        Assert.Contains(propagation, Propagations);
                        if (propagation == "Bidirectional")
                        {
                            Assert.True(Yaml.Str(container, "securityContext.privileged") == "true", $"{where}: Bidirectional propagation is only allowed to privileged containers");
                        }
                    }
                }

                var env = new List<string>();
                foreach (var source in Yaml.List(container, "envFrom"))
                {
                    if (Yaml.Str(source, "configMapRef.name") is { } map)
                    {
                        Assert.True(configMaps.TryGetValue(map, out var data), $"{where}: ConfigMap {map} is not defined");
                        env.AddRange(data.Keys);
                    }

                    if (Yaml.Str(source, "secretRef.name") is { } secret)
                    {
                        Assert.True(secrets.TryGetValue(secret, out var data), $"{where}: Secret {secret} is not defined");
                        env.AddRange(data.Keys);
                    }
                }

                // $(VAR) in a value expands only to variables defined before it.
                foreach (var variable in Yaml.List(container, "env"))
                {
                    foreach (Match reference in VariableReference().Matches(Yaml.Str(variable, "value") ?? ""))
                    {
                        Assert.True(env.Contains(reference.Groups[1].Value), $"{where}: {Yaml.Str(variable, "name")} refers to $({reference.Groups[1].Value}), which is not defined before it");
                    }

                    env.Add(Yaml.Str(variable, "name")!);
                }

                Settings.AssertRead(env.Where(e => e.StartsWith("ORLEANSMOUNT_", StringComparison.Ordinal) || e.StartsWith("AWS_", StringComparison.Ordinal)), where);
            }

            Assert.True(used.SetEquals(volumes), $"{owner}: volumes defined but never mounted: {string.Join(", ", volumes.Except(used))}");
        }

        foreach (var service in manifests.Where(m => Kind(m) == "Service"))
        {
            var selector = Yaml.StringMap(service, "spec.selector");
            var targets = manifests.Where(m => Kind(m) is "DaemonSet" or "Deployment")
                .Where(w => selector.All(kv => Yaml.StringMap(w, "spec.template.metadata.labels").GetValueOrDefault(kv.Key) == kv.Value))
                .ToList();
            var target = Assert.Single(targets);
            var portNames = Yaml.List(target, "spec.template.spec.containers").SelectMany(c => Yaml.List(c, "ports")).Select(p => Yaml.Str(p, "name")).ToList();
            foreach (var port in Yaml.List(service, "spec.ports"))
            {
                Assert.Contains(Yaml.Str(port, "targetPort"), portNames);
            }
        }
    }

    [Fact]
    [IntegrationTest]
    public async Task The_daemonset_runs_silo_and_mount_with_a_host_cache_and_carries_the_mount_to_training_pods()
    {
        var manifests = Load().Select(m => m.Document).ToList();
        var daemonSet = Assert.Single(manifests, m => Kind(m) == "DaemonSet");
        var pod = Yaml.Map(daemonSet, "spec.template.spec");
        var volumes = Yaml.List(pod, "volumes").ToDictionary(v => Yaml.Str(v, "name")!, v => v, StringComparer.Ordinal);
        var containers = Yaml.List(pod, "containers").ToDictionary(c => Yaml.Str(c, "name")!, c => c, StringComparer.Ordinal);
        Assert.Equal(["mount", "silo"], containers.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, container) in containers)
        {
            Assert.Equal(Image, Yaml.Str(container, "image"));
            Assert.Equal([name], Yaml.List(container, "args"));
        }

        var silo = containers["silo"];
        var cache = Assert.Single(Yaml.List(silo, "volumeMounts"), m => Yaml.Str(m, "mountPath") == "/var/cache/orleansmount");
        Assert.NotNull(Yaml.Str(volumes[Yaml.Str(cache, "name")!], "hostPath.path"));
        Assert.NotEqual("true", Yaml.Str(silo, "securityContext.privileged"));
        var ports = Yaml.List(silo, "ports");
        var siloPort = Assert.Single(ports, p => Yaml.Str(p, "name") == "http");
        // Orleans listens on its default port with --redis (the entrypoint passes no --silo-port).
        Assert.Equal("11111", Yaml.Str(Assert.Single(ports, p => Yaml.Str(p, "name") == "orleans"), "containerPort"));
        Assert.Equal(2, ports.Count());
        var config = Yaml.StringMap(Assert.Single(manifests, m => Kind(m) == "ConfigMap"), "data");
        Assert.EndsWith(":" + Yaml.Str(siloPort, "containerPort"), config["ORLEANSMOUNT_LISTEN"], StringComparison.Ordinal);
        Assert.Equal("http", Yaml.Str(silo, "readinessProbe.httpGet.port"));
        Assert.StartsWith("/api/v1/", Yaml.Str(silo, "readinessProbe.httpGet.path"), StringComparison.Ordinal);

        var mount = containers["mount"];
        Assert.Equal("true", Yaml.Str(mount, "securityContext.privileged"));
        var mnt = Assert.Single(Yaml.List(mount, "volumeMounts"), m => Yaml.Str(m, "mountPropagation") == "Bidirectional");
        Assert.Equal(config["ORLEANSMOUNT_MOUNT_ROOT"], Yaml.Str(mnt, "mountPath"));
        var hostMountRoot = Yaml.Str(volumes[Yaml.Str(mnt, "name")!], "hostPath.path");
        Assert.NotNull(hostMountRoot);
        await DeployFiles.AssertRealOptionsAsync(config["ORLEANSMOUNT_MOUNT_ARGS"], "mount", "ConfigMap ORLEANSMOUNT_MOUNT_ARGS");
        await DeployFiles.AssertRealOptionsAsync(string.Join(' ', Yaml.List(mount, "lifecycle.preStop.exec.command")), "umount", "mount preStop");

        // Silo and mount share the socket directory.
        var runPaths = containers.Values.SelectMany(c => Yaml.List(c, "volumeMounts")).Where(m => Yaml.Str(m, "mountPath") == "/run/orleansmount").Select(m => Yaml.Str(m, "name")).ToList();
        Assert.Equal(2, runPaths.Count);
        Assert.Single(runPaths.Distinct());

        // The training pod reads the node's mount root with HostToContainer propagation.
        var training = Yaml.Map(Assert.Single(manifests, m => Kind(m) == "Pod"), "spec");
        var trainingVolumes = Yaml.List(training, "volumes").ToDictionary(v => Yaml.Str(v, "name")!, v => v, StringComparer.Ordinal);
        var data = Assert.Single(Yaml.List(training, "containers").SelectMany(c => Yaml.List(c, "volumeMounts")), m => Yaml.Str(m, "mountPropagation") == "HostToContainer");
        Assert.Equal(hostMountRoot, Yaml.Str(trainingVolumes[Yaml.Str(data, "name")!], "hostPath.path"));
        Assert.Equal("true", Yaml.Str(data, "readOnly"));
        Assert.All(Yaml.List(training, "containers"), c => Assert.NotEqual("true", Yaml.Str(c, "securityContext.privileged")));

        // The reserved cluster secret and the S3 credentials are in the Secret, not the ConfigMap.
        var secret = Yaml.StringMap(Assert.Single(manifests, m => Kind(m) == "Secret"), "stringData");
        Assert.Contains(Settings.ClusterSecret, secret.Keys);

        // Redis requires the Secret's password, which the silo reads from the same Secret (envFrom).
        Assert.Contains(Settings.RedisPassword, secret.Keys);
        var redis = Assert.Single(Yaml.List(Yaml.Map(Assert.Single(manifests, m => Kind(m) == "Deployment"), "spec.template.spec"), "containers"));
        var redisArgs = Yaml.List(redis, "args").Cast<string>().ToList();
        Assert.Equal($"$({Settings.RedisPassword})", redisArgs[redisArgs.IndexOf("--requirepass") + 1]);
        var redisPassword = Assert.Single(Yaml.List(redis, "env"), v => Yaml.Str(v, "name") == Settings.RedisPassword);
        Assert.Equal(Yaml.Str(Assert.Single(Yaml.List(silo, "envFrom"), s => Yaml.Str(s, "secretRef.name") is not null), "secretRef.name"), Yaml.Str(redisPassword, "valueFrom.secretKeyRef.name"));
        Assert.Equal(Settings.RedisPassword, Yaml.Str(redisPassword, "valueFrom.secretKeyRef.key"));

        // The cluster certificate's Secret is optional and mounted read-only in the silo where the ConfigMap's
        // (commented) ORLEANSMOUNT_TLS_CERTIFICATE points.
        var tls = Assert.Single(Yaml.List(silo, "volumeMounts"), m => Yaml.Str(m, "mountPath") == "/etc/orleansmount/tls");
        Assert.Equal("true", Yaml.Str(tls, "readOnly"));
        Assert.Equal("true", Yaml.Str(volumes[Yaml.Str(tls, "name")!], "secret.optional"));
        Assert.Contains("# ORLEANSMOUNT_TLS_CERTIFICATE: /etc/orleansmount/tls/", File.ReadAllText(Path.Combine(DeployFiles.Kubernetes, "configmap.yaml")), StringComparison.Ordinal);
        Assert.DoesNotContain(Yaml.List(containers["mount"], "volumeMounts"), m => Yaml.Str(m, "name") == Yaml.Str(tls, "name"));
        Assert.Contains("AWS_SECRET_ACCESS_KEY", secret.Keys);
        Assert.DoesNotContain(config.Keys, k => k.Contains("SECRET", StringComparison.Ordinal));

        // Every image is pinned; the OrleansMount image is the one docker-compose builds.
        foreach (var container in PodSpecs(manifests).SelectMany(p => Yaml.List(p.Pod, "containers")))
        {
            var image = Yaml.Str(container, "image")!;
            Assert.True(image.Contains(':', StringComparison.Ordinal) && !image.EndsWith(":latest", StringComparison.Ordinal), $"image {image} is not pinned to a tag");
        }
    }

    [Fact]
    [UnitTest]
    public void The_mount_container_sees_the_silos_cache_read_only_at_the_path_the_silo_reports()
    {
        // The mount reads chunk files at the cache directory the silo reports (its --cache-dir): without the volume
        // every read goes through the silo (issue 17). The silo's --cache-dir is the entrypoint's
        // ORLEANSMOUNT_CACHE_DIR, from the ConfigMap or the entrypoint's default.
        var manifests = Load().Select(m => m.Document).ToList();
        var config = Yaml.StringMap(Assert.Single(manifests, m => Kind(m) == "ConfigMap"), "data");
        var fallback = EntrypointCacheDefault().Match(File.ReadAllText(DeployFiles.Entrypoint));
        Assert.True(fallback.Success, "deploy/entrypoint.sh no longer passes --cache-dir \"${ORLEANSMOUNT_CACHE_DIR:-...}\"");
        var cacheDir = config.GetValueOrDefault("ORLEANSMOUNT_CACHE_DIR") ?? fallback.Groups[1].Value;
        Assert.DoesNotContain("--cache-dir", config.GetValueOrDefault("ORLEANSMOUNT_SILO_ARGS") ?? "", StringComparison.Ordinal);

        var pod = Yaml.Map(Assert.Single(manifests, m => Kind(m) == "DaemonSet"), "spec.template.spec");
        var containers = Yaml.List(pod, "containers").ToDictionary(c => Yaml.Str(c, "name")!, c => c, StringComparer.Ordinal);
        foreach (var container in containers.Values)
        {
            Assert.DoesNotContain(Yaml.List(container, "env"), v => Yaml.Str(v, "name") is "ORLEANSMOUNT_CACHE_DIR" or "ORLEANSMOUNT_SILO_ARGS");
        }

        var silo = Assert.Single(Yaml.List(containers["silo"], "volumeMounts"), m => Yaml.Str(m, "mountPath") == cacheDir);
        Assert.NotEqual("true", Yaml.Str(silo, "readOnly"));
        Assert.Null(Yaml.Str(silo, "subPath"));
        var volume = Assert.Single(Yaml.List(pod, "volumes"), v => Yaml.Str(v, "name") == Yaml.Str(silo, "name"));
        Assert.NotNull(Yaml.Str(volume, "hostPath.path"));

        var mount = Yaml.List(containers["mount"], "volumeMounts").SingleOrDefault(m => Yaml.Str(m, "name") == Yaml.Str(silo, "name"));
        Assert.True(mount is not null, $"the mount container does not mount the cache volume '{Yaml.Str(silo, "name")}': it cannot read the chunk files on the node, so every read goes through the silo");
        Assert.Equal(cacheDir, Yaml.Str(mount, "mountPath"));
        Assert.Equal("true", Yaml.Str(mount, "readOnly"));
        Assert.Null(Yaml.Str(mount, "subPath"));
    }

    private static List<(string File, IDictionary<object, object> Document)> Load()
    {
        var files = Directory.EnumerateFiles(DeployFiles.Kubernetes, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml").ToList();
        Assert.NotEmpty(files);
        return files.SelectMany(f => Yaml.LoadAll(File.ReadAllText(f)).Select(d => (Path.GetFileName(f), d))).ToList();
    }

    private static string Kind(object document) => Yaml.Str(document, "kind") ?? throw new Xunit.Sdk.XunitException("a manifest has no kind");

    private static IEnumerable<(string Owner, IDictionary<object, object> Pod)> PodSpecs(IEnumerable<IDictionary<object, object>> manifests) =>
        manifests.Where(m => Kind(m) is "DaemonSet" or "Deployment").Select(m => (Yaml.Str(m, "metadata.name")!, Yaml.Map(m, "spec.template.spec")))
            .Concat(manifests.Where(m => Kind(m) == "Pod").Select(m => (Yaml.Str(m, "metadata.name")!, Yaml.Map(m, "spec"))));

    [GeneratedRegex(@"--cache-dir ""\$\{ORLEANSMOUNT_CACHE_DIR:-([^}]+)\}""")]
    private static partial Regex EntrypointCacheDefault();

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex VariableReference();
}
