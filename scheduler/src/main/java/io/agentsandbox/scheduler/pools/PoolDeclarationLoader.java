package io.agentsandbox.scheduler.pools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.agentsandbox.core.model.Autoscale;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code SandboxTemplate} and {@code SandboxWarmPool} objects ({@code
 * extensions.agents.x-k8s.io/v1beta1}, the same YAML a cluster takes) from a directory and resolves
 * each pool against its template. Runs once at start-up, off the event loops.
 *
 * <p>Our additions are optional annotations on the pool, so upstream YAML stays valid: {@value
 * #MAX_CLAIMS_PER_TENANT_ANNOTATION}.
 */
public final class PoolDeclarationLoader {

  private static final Logger LOG = LoggerFactory.getLogger(PoolDeclarationLoader.class);

  public static final String EXTENSIONS_V1BETA1 = "extensions.agents.x-k8s.io/v1beta1";
  public static final String MAX_CLAIMS_PER_TENANT_ANNOTATION =
      "agentsandbox.io/max-claims-per-tenant";

  /** {@code "true"} sizes the pool from demand instead of {@code spec.replicas}. */
  public static final String AUTOSCALE_ANNOTATION = "agentsandbox.io/autoscale";

  public static final String MIN_REPLICAS_ANNOTATION = "agentsandbox.io/min-replicas";
  public static final String MAX_REPLICAS_ANNOTATION = "agentsandbox.io/max-replicas";
  public static final String CONFIDENCE_ANNOTATION = "agentsandbox.io/autoscale-confidence";

  /** Upper bound of an autoscaled pool that does not set {@value #MAX_REPLICAS_ANNOTATION}. */
  public static final int DEFAULT_MAX_REPLICAS = 1_000;

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

  private record Doc(String where, JsonNode node) {}

  /**
   * Loads every {@code *.yaml}/{@code *.yml} file of {@code dir}, in name order.
   *
   * @throws PoolDeclarationException naming the file, object and field of the first problem
   */
  public PoolCatalog load(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new PoolDeclarationException(
          "--pools-dir " + dir.toAbsolutePath() + " is not a directory");
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files =
          s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
              .sorted()
              .toList();
    } catch (IOException e) {
      throw new PoolDeclarationException("cannot list --pools-dir " + dir + ": " + e.getMessage());
    }
    List<Doc> docs = new ArrayList<>();
    for (Path f : files) docs.addAll(read(f));
    return resolve(docs);
  }

  /**
   * Loads declarations from YAML text (several documents allowed); {@code name} is used in errors.
   */
  public PoolCatalog loadString(String name, String yamlText) {
    try (Reader r = new java.io.StringReader(yamlText)) {
      return resolve(read(name, r));
    } catch (IOException e) {
      throw new PoolDeclarationException(name + ": " + e.getMessage());
    }
  }

  private List<Doc> read(Path file) {
    try (Reader r = Files.newBufferedReader(file)) {
      return read(file.getFileName().toString(), r);
    } catch (IOException e) {
      throw new PoolDeclarationException(file + ": cannot read: " + e.getMessage());
    }
  }

  private List<Doc> read(String name, Reader r) throws IOException {
    List<Doc> out = new ArrayList<>();
    try (MappingIterator<JsonNode> it = yaml.readerFor(JsonNode.class).readValues(r)) {
      int i = 0;
      while (it.hasNextValue()) {
        i++;
        JsonNode n = it.nextValue();
        if (n == null || n.isNull() || n.isMissingNode()) continue;
        if (!n.isObject())
          throw new PoolDeclarationException(name + " document " + i + ": not a YAML mapping");
        out.add(new Doc(name + " document " + i, n));
      }
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new PoolDeclarationException(name + ": invalid YAML: " + e.getOriginalMessage());
    }
    return out;
  }

  private PoolCatalog resolve(List<Doc> docs) {
    Map<String, SandboxBlueprint> templates = new LinkedHashMap<>();
    List<Doc> pools = new ArrayList<>();
    for (Doc d : docs) {
      String apiVersion = text(d, d.node, "apiVersion", true);
      String kind = text(d, d.node, "kind", true);
      switch (kind) {
        case "SandboxTemplate" -> {
          requireApiVersion(d, apiVersion, EXTENSIONS_V1BETA1);
          String ns = namespace(d);
          String name = name(d);
          if (templates.put(ns + "/" + name, template(d, name)) != null) {
            throw new PoolDeclarationException(
                d.where + ": SandboxTemplate " + ns + "/" + name + " is declared twice");
          }
        }
        case "SandboxWarmPool" -> {
          requireApiVersion(d, apiVersion, EXTENSIONS_V1BETA1);
          pools.add(d);
        }
        case "Sandbox", "SandboxClaim" ->
            LOG.warn(
                "{}: {} objects are not read from --pools-dir (only templates and warm pools); skipped",
                d.where,
                kind);
        default ->
            throw new PoolDeclarationException(
                d.where + ": kind: must be SandboxTemplate or SandboxWarmPool, got '" + kind + "'");
      }
    }
    List<PoolSpec> specs = new ArrayList<>();
    Map<PoolKey, String> seen = new LinkedHashMap<>();
    for (Doc d : pools) {
      PoolSpec spec = pool(d, templates);
      String prev = seen.put(spec.key(), d.where);
      if (prev != null) {
        throw new PoolDeclarationException(
            d.where + ": SandboxWarmPool " + spec.key() + " is also declared in " + prev);
      }
      specs.add(spec);
    }
    return new PoolCatalog(specs);
  }

  private PoolSpec pool(Doc d, Map<String, SandboxBlueprint> templates) {
    String ns = namespace(d);
    String name = name(d);
    String where = d.where + " (SandboxWarmPool " + ns + "/" + name + ")";
    JsonNode spec = d.node.path("spec");
    if (!spec.isObject()) throw new PoolDeclarationException(where + ": spec: required");
    int replicas = 1;
    JsonNode r = spec.get("replicas");
    if (r != null && !r.isNull()) {
      if (!r.isIntegralNumber() || !r.canConvertToInt() || r.intValue() < 0) {
        throw new PoolDeclarationException(
            where + ": spec.replicas: must be an integer >= 0, got " + r);
      }
      replicas = r.intValue();
    }
    JsonNode ref = spec.path("sandboxTemplateRef").path("name");
    if (!ref.isTextual() || ref.asText().isEmpty()) {
      throw new PoolDeclarationException(where + ": spec.sandboxTemplateRef.name: required");
    }
    SandboxBlueprint blueprint = templates.get(ns + "/" + ref.asText());
    if (blueprint == null) {
      throw new PoolDeclarationException(
          where
              + ": spec.sandboxTemplateRef.name: no SandboxTemplate '"
              + ref.asText()
              + "' in namespace "
              + ns);
    }
    JsonNode strategy = spec.path("updateStrategy").path("type");
    if (!strategy.isMissingNode()
        && !strategy.asText().equals("OnReplenish")
        && !strategy.asText().equals("Recreate")) {
      throw new PoolDeclarationException(
          where + ": spec.updateStrategy.type: must be OnReplenish or Recreate, got " + strategy);
    }
    int cap = 0;
    JsonNode capNode =
        d.node.path("metadata").path("annotations").get(MAX_CLAIMS_PER_TENANT_ANNOTATION);
    if (capNode != null) {
      try {
        cap = Integer.parseInt(capNode.asText());
      } catch (NumberFormatException e) {
        cap = -1;
      }
      if (cap < 1) {
        throw new PoolDeclarationException(
            where
                + ": metadata.annotations."
                + MAX_CLAIMS_PER_TENANT_ANNOTATION
                + ": must be an integer >= 1, got "
                + capNode);
      }
    }
    return new PoolSpec(
        new PoolKey(ns, name),
        blueprint,
        replicas,
        cap,
        autoscale(where, d.node.path("metadata").path("annotations")));
  }

  private static Autoscale autoscale(String where, JsonNode annotations) {
    JsonNode on = annotations.get(AUTOSCALE_ANNOTATION);
    boolean any =
        on != null
            || annotations.has(MIN_REPLICAS_ANNOTATION)
            || annotations.has(MAX_REPLICAS_ANNOTATION)
            || annotations.has(CONFIDENCE_ANNOTATION);
    if (!any) return null;
    if (on != null && !on.asText().equals("true") && !on.asText().equals("false")) {
      throw new PoolDeclarationException(
          where
              + ": metadata.annotations."
              + AUTOSCALE_ANNOTATION
              + ": must be \"true\" or \"false\", got "
              + on);
    }
    if (on != null && on.asText().equals("false")) return null;
    int min = intAnnotation(where, annotations, MIN_REPLICAS_ANNOTATION, 0);
    int max =
        intAnnotation(
            where, annotations, MAX_REPLICAS_ANNOTATION, Math.max(min, DEFAULT_MAX_REPLICAS));
    double confidence = Autoscale.DEFAULT_CONFIDENCE;
    JsonNode c = annotations.get(CONFIDENCE_ANNOTATION);
    if (c != null) {
      try {
        confidence = Double.parseDouble(c.asText());
      } catch (NumberFormatException e) {
        confidence = -1;
      }
      if (!(confidence >= 0.5 && confidence <= 0.9999)) {
        throw new PoolDeclarationException(
            where
                + ": metadata.annotations."
                + CONFIDENCE_ANNOTATION
                + ": must be a number 0.5..0.9999, got "
                + c);
      }
    }
    if (max < min) {
      throw new PoolDeclarationException(
          where
              + ": metadata.annotations."
              + MAX_REPLICAS_ANNOTATION
              + ": must be >= "
              + MIN_REPLICAS_ANNOTATION
              + " ("
              + min
              + "), got "
              + max);
    }
    return new Autoscale(min, max, confidence);
  }

  private static int intAnnotation(String where, JsonNode annotations, String key, int dflt) {
    JsonNode n = annotations.get(key);
    if (n == null) return dflt;
    try {
      int v = Integer.parseInt(n.asText());
      if (v >= 0) return v;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new PoolDeclarationException(
        where + ": metadata.annotations." + key + ": must be an integer >= 0, got " + n);
  }

  private SandboxBlueprint template(Doc d, String name) {
    String where = d.where + " (SandboxTemplate " + name + ")";
    JsonNode pod = d.node.path("spec").path("podTemplate").path("spec");
    if (!pod.isObject())
      throw new PoolDeclarationException(where + ": spec.podTemplate.spec: required");
    JsonNode rc = pod.get("runtimeClassName");
    if (rc != null
        && !rc.isNull()
        && (!rc.isTextual() || !DNS_SUBDOMAIN.matcher(rc.asText()).matches())) {
      throw new PoolDeclarationException(
          where + ": spec.podTemplate.spec.runtimeClassName: must be a DNS subdomain, got " + rc);
    }
    JsonNode containers = pod.get("containers");
    if (containers == null || !containers.isArray() || containers.isEmpty()) {
      throw new PoolDeclarationException(
          where + ": spec.podTemplate.spec.containers: at least one container is required");
    }
    JsonNode c = containers.get(0);
    String image = c.path("image").asText("");
    List<String> command = strings(where, c, "spec.podTemplate.spec.containers[0].command");
    List<String> args = strings(where, c, "spec.podTemplate.spec.containers[0].args");
    Map<String, String> env = new LinkedHashMap<>();
    JsonNode envNode = c.path("env");
    if (!envNode.isMissingNode()) {
      if (!envNode.isArray())
        throw new PoolDeclarationException(
            where + ": spec.podTemplate.spec.containers[0].env: must be a list");
      for (JsonNode e : envNode) {
        String n = e.path("name").asText("");
        if (n.isEmpty())
          throw new PoolDeclarationException(
              where + ": spec.podTemplate.spec.containers[0].env[].name: required");
        env.put(n, e.path("value").asText(""));
      }
    }
    JsonNode limits = c.path("resources").path("limits");
    long cpu =
        limits.has("cpu")
            ? Quantities.cpuMillis(where + ": resources.limits.cpu", limits.get("cpu").asText())
            : 0;
    long mem =
        limits.has("memory")
            ? Quantities.bytes(where + ": resources.limits.memory", limits.get("memory").asText())
            : 0;
    return new SandboxBlueprint(
        name,
        RuntimeClass.of(rc == null || rc.isNull() ? null : rc.asText()),
        image,
        command,
        args,
        env,
        cpu,
        mem);
  }

  private static List<String> strings(String where, JsonNode container, String field) {
    String key = field.substring(field.lastIndexOf('.') + 1);
    JsonNode n = container.get(key);
    if (n == null || n.isNull()) return List.of();
    if (!n.isArray())
      throw new PoolDeclarationException(where + ": " + field + ": must be a list of strings");
    List<String> out = new ArrayList<>();
    for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
      JsonNode e = it.next();
      if (!e.isValueNode())
        throw new PoolDeclarationException(where + ": " + field + ": must be a list of strings");
      out.add(e.asText());
    }
    return out;
  }

  private static void requireApiVersion(Doc d, String apiVersion, String expected) {
    if (!apiVersion.equals(expected)) {
      throw new PoolDeclarationException(
          d.where + ": apiVersion: must be " + expected + ", got '" + apiVersion + "'");
    }
  }

  private static String namespace(Doc d) {
    JsonNode ns = d.node.path("metadata").get("namespace");
    if (ns == null || ns.isNull()) return "default";
    if (!ns.isTextual() || !DNS_LABEL.matcher(ns.asText()).matches()) {
      throw new PoolDeclarationException(
          d.where + ": metadata.namespace: must be a DNS label, got " + ns);
    }
    return ns.asText();
  }

  private static String name(Doc d) {
    JsonNode n = d.node.path("metadata").get("name");
    if (n == null || !n.isTextual() || n.asText().isEmpty()) {
      throw new PoolDeclarationException(d.where + ": metadata.name: required");
    }
    if (!DNS_SUBDOMAIN.matcher(n.asText()).matches() || n.asText().length() > 253) {
      throw new PoolDeclarationException(
          d.where + ": metadata.name: must be a DNS subdomain, got '" + n.asText() + "'");
    }
    return n.asText();
  }

  private static String text(Doc d, JsonNode node, String field, boolean required) {
    JsonNode n = node.get(field);
    if (n == null || n.isNull()) {
      if (required) throw new PoolDeclarationException(d.where + ": " + field + ": required");
      return "";
    }
    if (!n.isTextual())
      throw new PoolDeclarationException(d.where + ": " + field + ": must be a string");
    return n.asText();
  }
}
