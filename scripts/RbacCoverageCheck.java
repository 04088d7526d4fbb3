import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The chart's RBAC covers exactly what the controller calls.
 *
 * <p>Derives the set of (apiGroup, resource[/subresource], verb) the controller needs from the
 * fabric8 calls in k8s-adapter's main sources, then compares it with the rules of the rendered
 * chart's controller ClusterRole: a permission the code needs and the chart lacks fails (the
 * controller would get 403), and so does one the chart grants and no code uses (not least
 * privilege). The leader-election Role must be exactly a Lease lock's get/create/update/patch
 * (fabric8's LeaderElector renews and releases its Lease with a PATCH: the 403 that a chart without
 * it got was first seen when the chart ran for real, in HelmInstallE2E).
 *
 * <p>How calls are read (fail-closed: a {@code <client>.} call it cannot classify fails the check
 * and says where, so a new kind of call cannot slip past):
 * <ul>
 *   <li>entry points on a {@code KubernetesClient} variable: {@code pods()}, {@code services()},
 *       {@code network().v1().networkPolicies()}, {@code resources(X.class)} (X's {@code @Group} and
 *       {@code @Plural} read from its source), {@code resource(obj)} (obj's static type resolved
 *       from its declaration or, inside a helper method, at each call site), ...; local aliases
 *       ({@code var op = client.resources(X.class)}) are followed;
 *   <li>verbs: {@code exec(} = create + get on {@code <resource>/exec} (the websocket upgrade is a GET),
 *       {@code runnableInformer/inform/informer} = list + watch, {@code get()}, {@code
 *       list()}, {@code watch(}, {@code create(}, {@code update()}, {@code replace()}, {@code
 *       patch(}/{@code edit(}, {@code delete(}, {@code serverSideApply()} (= patch + create), and the
 *       {@code updateStatus()/patchStatus(}/{@code editStatus(} and {@code subresource("status").patch(}
 *       forms on {@code <resource>/status};
 *       a chain passed to a helper method gets the verbs the helper calls on its parameter;
 *   <li>{@code MergePatch.apply(client, X.class, ns, name, sub, body)} = patch on X (sub null) or
 *       X/sub (a string literal);
 *   <li>an owner reference built with {@code blockOwnerDeletion(true)} for type X needs {@code
 *       update} on {@code X/finalizers} (the OwnerReferencesPermissionEnforcement admission plugin).
 * </ul>
 *
 * <p>Usage: {@code java -cp scheduler/target/agent-sandbox-server.jar scripts/RbacCoverageCheck.java
 * k8s-adapter/src/main/java rendered.yaml} (Jackson YAML comes from the shaded server jar).
 */
public class RbacCoverageCheck {

  /** fabric8 DSL entry points on a KubernetesClient -> "group|resource". */
  static final Map<String, String> ENTRY = new LinkedHashMap<>();
  /** fabric8 model types -> "group|resource" (for client.resource(obj)). */
  static final Map<String, String> MODEL = new HashMap<>();

  static {
    ENTRY.put("pods()", "|pods");
    ENTRY.put("services()", "|services");
    ENTRY.put("persistentVolumeClaims()", "|persistentvolumeclaims");
    ENTRY.put("configMaps()", "|configmaps");
    ENTRY.put("secrets()", "|secrets");
    ENTRY.put("serviceAccounts()", "|serviceaccounts");
    ENTRY.put("namespaces()", "|namespaces");
    ENTRY.put("events()", "|events");
    ENTRY.put("v1().events()", "|events");
    ENTRY.put("events().v1().events()", "events.k8s.io|events");
    ENTRY.put("network().v1().networkPolicies()", "networking.k8s.io|networkpolicies");
    ENTRY.put("network().networkPolicies()", "networking.k8s.io|networkpolicies");
    ENTRY.put("leases()", "coordination.k8s.io|leases");
    ENTRY.put("coordination().v1().leases()", "coordination.k8s.io|leases");
    ENTRY.put("apps().deployments()", "apps|deployments");
    ENTRY.put("nodeV1().runtimeClasses()", "node.k8s.io|runtimeclasses");
    ENTRY.put("apiextensions().v1().customResourceDefinitions()", "apiextensions.k8s.io|customresourcedefinitions");
    MODEL.put("Pod", "|pods");
    MODEL.put("Service", "|services");
    MODEL.put("PersistentVolumeClaim", "|persistentvolumeclaims");
    MODEL.put("ConfigMap", "|configmaps");
    MODEL.put("Secret", "|secrets");
    MODEL.put("Event", "|events");
    MODEL.put("NetworkPolicy", "networking.k8s.io|networkpolicies");
    MODEL.put("Lease", "coordination.k8s.io|leases");
  }

  /** Verb patterns on a chain, in the order tried; value = verbs, "/status:" prefix = on status. */
  static final Map<Pattern, List<String>> VERBS = new LinkedHashMap<>();

  static {
    VERBS.put(Pattern.compile("\\.exec\\("), List.of("exec:create", "exec:get"));
    VERBS.put(Pattern.compile("\\.(runnableInformer|inform|informer)\\("), List.of("list", "watch"));
    VERBS.put(Pattern.compile("\\.updateStatus\\(\\)"), List.of("status:update"));
    VERBS.put(Pattern.compile("\\.(patchStatus|editStatus)\\("), List.of("status:patch"));
    VERBS.put(Pattern.compile("\\.subresource\\(\\s*\"status\"\\s*\\)\\s*\\.(patch|edit)\\("), List.of("status:patch"));
    VERBS.put(Pattern.compile("\\.serverSideApply\\(\\)"), List.of("patch", "create"));
    VERBS.put(Pattern.compile("\\.get\\(\\)"), List.of("get"));
    VERBS.put(Pattern.compile("\\.list\\("), List.of("list"));
    VERBS.put(Pattern.compile("\\.watch\\("), List.of("watch"));
    VERBS.put(Pattern.compile("\\.create\\("), List.of("create"));
    VERBS.put(Pattern.compile("\\.(update|replace)\\(\\)"), List.of("update"));
    VERBS.put(Pattern.compile("\\.(patch|edit)\\("), List.of("patch"));
    VERBS.put(Pattern.compile("\\.delete\\("), List.of("delete"));
  }

  final Map<String, String> sources = new TreeMap<>(); // relative path -> code without comments
  final Map<String, String> crdResource = new HashMap<>(); // simple class name -> group|plural
  final Map<String, Set<String>> derived = new TreeMap<>(); // "group|resource" -> verbs
  final Map<String, Set<String>> why = new TreeMap<>(); // "group|resource|verb" -> where
  final List<String> problems = new ArrayList<>();

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: RbacCoverageCheck <k8s-adapter/src/main/java> <rendered-chart.yaml>");
      System.exit(2);
    }
    RbacCoverageCheck c = new RbacCoverageCheck();
    c.load(Path.of(args[0]));
    c.derive();
    System.exit(c.compare(Path.of(args[1])) ? 0 : 1);
  }

  void load(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".java")).sorted()::iterator) {
        // google-java-format breaks call chains before each '.': join them back to one line
        String code = stripComments(Files.readString(p)).replaceAll("\\s+\\.(?=[A-Za-z_<])", ".");
        sources.put(root.relativize(p).toString(), code);
      }
    }
    Pattern group = Pattern.compile("@Group\\(\\s*([\\w.\"-]+)\\s*\\)");
    Pattern plural = Pattern.compile("@Plural\\(\\s*\"([^\"]+)\"\\s*\\)");
    Pattern kind = Pattern.compile("@Kind\\(\\s*\"([^\"]+)\"\\s*\\)");
    for (var e : sources.entrySet()) {
      Matcher g = group.matcher(e.getValue());
      if (!g.find()) continue;
      String cls = Path.of(e.getKey()).getFileName().toString().replace(".java", "");
      Matcher pl = plural.matcher(e.getValue());
      Matcher k = kind.matcher(e.getValue());
      String res = pl.find() ? pl.group(1) : (k.find() ? k.group(1) : cls).toLowerCase() + "s";
      crdResource.put(cls, constant(g.group(1)) + "|" + res);
    }
  }

  /** A string literal, or Class.CONSTANT resolved from Class's source. */
  String constant(String expr) {
    if (expr.startsWith("\"")) return expr.substring(1, expr.length() - 1);
    String[] parts = expr.split("\\.");
    String cls = parts[parts.length - 2];
    String name = parts[parts.length - 1];
    Pattern def = Pattern.compile("\\b" + Pattern.quote(name) + "\\s*=\\s*\"([^\"]*)\"");
    for (var e : sources.entrySet()) {
      if (!e.getKey().endsWith("/" + cls + ".java") && !e.getKey().equals(cls + ".java")) continue;
      Matcher m = def.matcher(e.getValue());
      if (m.find()) return m.group(1);
    }
    throw new IllegalStateException("cannot resolve constant " + expr);
  }

  void derive() {
    Pattern clientVar = Pattern.compile("\\bKubernetesClient\\s+(\\w+)\\s*[;,)=]");
    for (var e : sources.entrySet()) {
      String file = e.getKey();
      String code = e.getValue();
      if (isOptionalSource(file)) continue; // its grant is rendered only with its feature: see OPTIONAL
      if (file.endsWith("client/MergePatch.java")) continue; // read at its call sites: mergePatches
      Set<String> clients = new TreeSet<>();
      Matcher cv = clientVar.matcher(code);
      while (cv.find()) clients.add(cv.group(1));
      ownerFinalizers(file, code);
      mergePatches(file, code);
      if (clients.isEmpty()) continue;
      String callRe = "\\b(?:this\\.)?(" + String.join("|", clients) + ")\\.";
      List<String> statements = statements(code);
      // aliases: var op = client.resources(X.class);  (no verb on the right-hand side)
      Map<String, String> alias = new HashMap<>();
      Pattern aliasDecl = Pattern.compile("^(?:final\\s+)?[\\w<>?,.\\s\\[\\]]+?\\s+(\\w+)\\s*=\\s*(" + callRe.substring(0, callRe.length() - 2) + "\\..*)$", Pattern.DOTALL);
      List<String> trimmed = new ArrayList<>();
      for (String st : statements) {
        String t = st.trim();
        trimmed.add(t.endsWith(";") ? t.substring(0, t.length() - 1).trim() : t);
      }
      for (String st : trimmed) {
        Matcher a = aliasDecl.matcher(st);
        if (a.matches() && verbsOf(a.group(2)).isEmpty()) alias.put(a.group(1), a.group(2).trim());
      }
      for (String st : trimmed) {
        if (st.startsWith("import ") || st.startsWith("package ")) continue;
        if (alias.values().stream().anyMatch(st::endsWith)) continue; // an alias declaration itself
        String s = st;
        for (var a : alias.entrySet()) s = s.replaceAll("\\b" + a.getKey() + "\\.", Matcher.quoteReplacement(a.getValue() + "."));
        Matcher call = Pattern.compile(callRe).matcher(s);
        List<int[]> calls = new ArrayList<>();
        while (call.find()) calls.add(new int[] {call.start(), call.end()});
        String where = file + ": " + st.replaceAll("\\s+", " ");
        for (int i = 0; i < calls.size(); i++) {
          int end = i + 1 < calls.size() ? calls.get(i + 1)[0] : s.length();
          String chain = s.substring(calls.get(i)[1], end);
          List<String> targets = targetsOf(file, code, chain, st, where);
          if (targets == null) continue; // reported
          List<String> verbs = verbsOf(chain);
          if (verbs.isEmpty()) verbs = verbsOf(s.substring(calls.get(calls.size() - 1)[1])); // (a ? client.x : client.y).verb()
          if (verbs.isEmpty()) verbs = helperVerbs(code, s.substring(0, calls.get(i)[0]), where);
          if (verbs.isEmpty()) {
            problems.add("cannot tell which API verb this call makes (teach RbacCoverageCheck.VERBS): " + where);
            continue;
          }
          for (String t : targets) for (String v : verbs) add(t, v, where);
        }
      }
    }
  }

  /**
   * {@code MergePatch.apply(client, X.class, ns, name, sub, body)}: one PATCH on X, or on X/sub when
   * sub is a string literal (null: the object itself); anything else fails the check.
   */
  void mergePatches(String file, String code) {
    if (file.endsWith("MergePatch.java")) return;
    Matcher m = Pattern.compile("\\bMergePatch\\.apply\\(([^;]*?)\\)\\s*;").matcher(code);
    while (m.find()) {
      String where = file + ": MergePatch.apply(" + m.group(1).replaceAll("\\s+", " ") + ")";
      String[] args = m.group(1).split(",");
      Matcher type = Pattern.compile("^\\s*(\\w+)\\.class\\s*$").matcher(args.length > 4 ? args[1] : "");
      String sub = args.length > 4 ? args[4].trim() : "";
      String r = type.find() ? typeResource(type.group(1)) : null;
      if (r == null || !(sub.equals("null") || sub.matches("\"\\w+\""))) {
        problems.add("cannot tell which resource this merge patch writes (X.class, then a literal subresource or null): " + where);
        continue;
      }
      add(sub.equals("null") ? r : r + "/" + sub.substring(1, sub.length() - 1), "patch", where);
    }
  }

  /** "group|resource" of a chain after "client.", or null (reported) when unknown. */
  List<String> targetsOf(String file, String code, String chain, String statement, String where) {
    Matcher res = Pattern.compile("^resources\\(\\s*(\\w+)\\.class\\s*\\)").matcher(chain);
    if (res.find()) {
      String r = crdResource.get(res.group(1));
      if (r == null) {
        problems.add("resources(" + res.group(1) + ".class): no @Group/@Plural source for " + res.group(1) + ": " + where);
        return null;
      }
      return List.of(r);
    }
    Matcher one = Pattern.compile("^resource\\(\\s*(\\w+)\\s*\\)").matcher(chain);
    if (one.find()) {
      String var = one.group(1);
      String type = declaredType(code, var);
      if (type != null && typeResource(type) != null) return List.of(typeResource(type));
      // a helper method taking a generic object: resolve the type at each call site
      String method = enclosingMethodWithParam(code, statement, var);
      if (method == null) {
        problems.add("resource(" + var + "): cannot resolve the type of " + var + ": " + where);
        return null;
      }
      List<String> out = new ArrayList<>();
      Matcher site = Pattern.compile("(?<![\\w.])" + method + "\\(([^;{}]*?)\\)\\s*;").matcher(code);
      while (site.find()) {
        String arg = site.group(1).trim();
        if (arg.matches("(?:final\\s+)?[\\w<>?]+\\s+\\w+")) continue; // the declaration
        String t = expressionType(code, arg);
        if (t == null || typeResource(t) == null) {
          problems.add("resource(" + var + ") via " + method + "(" + arg + "): cannot resolve its Kubernetes type: " + where);
          continue;
        }
        out.add(typeResource(t));
      }
      if (out.isEmpty() && problems.isEmpty()) problems.add("resource(" + var + ") in " + method + ": no call site found: " + where);
      return out;
    }
    for (var e : ENTRY.entrySet()) {
      if (chain.startsWith(e.getKey())) return List.of(e.getValue());
    }
    problems.add("unknown fabric8 entry point (teach RbacCoverageCheck.ENTRY): " + where);
    return null;
  }

  String typeResource(String type) {
    String simple = type.replaceAll("<.*", "").replaceAll(".*\\.", "");
    if (crdResource.containsKey(simple)) return crdResource.get(simple);
    return MODEL.get(simple);
  }

  /** Type of an expression: a declared variable, or Class.method(...) / method(...) return type. */
  String expressionType(String code, String expr) {
    if (expr.matches("\\w+")) return declaredType(code, expr);
    Matcher m = Pattern.compile("^(?:(\\w+)\\.)?(\\w+)\\(.*\\)$", Pattern.DOTALL).matcher(expr);
    if (!m.matches()) return null;
    Pattern ret = Pattern.compile("\\b([\\w.]+(?:<[^()]*?>)?)\\s+" + m.group(2) + "\\s*\\(");
    for (var e : sources.entrySet()) {
      if (m.group(1) != null && !e.getKey().endsWith("/" + m.group(1) + ".java")) continue;
      if (m.group(1) == null && !e.getValue().equals(code)) continue;
      Matcher r = ret.matcher(e.getValue());
      while (r.find()) {
        String t = r.group(1);
        if (!t.equals("return") && !t.equals("new")) return t;
      }
    }
    return null;
  }

  /** The declared type of a local variable, parameter, field or for-each variable. */
  static String declaredType(String code, String var) {
    Matcher m = Pattern.compile("([A-Z][\\w.]*(?:<[^()=;]*?>)?)\\s+" + var + "\\s*[=:;,)]").matcher(code);
    return m.find() ? m.group(1) : null;
  }

  /** Name of the method whose parameter list declares `var` and whose body holds the statement. */
  static String enclosingMethodWithParam(String code, String statement, String var) {
    int at = code.indexOf(statement.trim());
    Matcher m = Pattern.compile("(\\w+)\\s*\\(\\s*(?:final\\s+)?[\\w<>?. ]+\\s+" + var + "\\s*\\)\\s*\\{").matcher(code);
    String best = null;
    while (m.find()) if (at < 0 || m.start() < at) best = m.group(1);
    return best;
  }

  /** delete(client.pods()...withName(n)): the verbs the helper `delete` calls on its parameter. */
  List<String> helperVerbs(String code, String before, String where) {
    Matcher h = Pattern.compile("(\\w+)\\s*\\(\\s*$").matcher(before);
    if (!h.find()) return List.of();
    String helper = h.group(1);
    Matcher decl = Pattern.compile("\\b" + helper + "\\s*\\(\\s*(?:final\\s+)?[\\w<>?. ]+\\s+(\\w+)\\s*\\)\\s*\\{").matcher(code);
    if (!decl.find()) return List.of();
    String body = block(code, decl.end() - 1);
    String param = decl.group(1);
    List<String> out = new ArrayList<>();
    for (String st : statements(body)) {
      int i = st.indexOf(param + ".");
      if (i >= 0) out.addAll(verbsOf(st.substring(i + param.length())));
    }
    return out;
  }

  static List<String> verbsOf(String chain) {
    for (var e : VERBS.entrySet()) if (e.getKey().matcher(chain).find()) return e.getValue();
    return List.of();
  }

  /** ownerReference(X x) built with blockOwnerDeletion(true) -> update on X's finalizers. */
  void ownerFinalizers(String file, String code) {
    // ControllerRefs.to(apiVersion, "Kind", owner): the owner's kind is the literal
    Matcher refs = Pattern.compile("ControllerRefs\\.to\\(\\s*[^,]+,\\s*\"(\\w+)\"").matcher(code);
    while (refs.find()) {
      String r = typeResource(refs.group(1));
      if (r == null) problems.add(file + ": owner reference to " + refs.group(1) + ", not a known resource");
      else add(r + "/finalizers", "update", file + ": ControllerRefs.to(" + refs.group(1) + ") with blockOwnerDeletion(true)");
    }
    if (file.endsWith("/ControllerRefs.java")) return; // builds them for the callers above
    if (!code.contains("withBlockOwnerDeletion(true)")) return;
    Matcher m = Pattern.compile("OwnerReference\\s+\\w+\\s*\\(\\s*(\\w+)\\s+\\w+\\s*\\)\\s*\\{").matcher(code);
    boolean found = false;
    while (m.find()) {
      if (!block(code, m.end() - 1).contains("withBlockOwnerDeletion(true)")) continue;
      String r = typeResource(m.group(1));
      if (r == null) {
        problems.add(file + ": owner reference to " + m.group(1) + ", not a known resource");
        continue;
      }
      add(r + "/finalizers", "update", file + ": ownerReference(" + m.group(1) + ") with blockOwnerDeletion(true)");
      found = true;
    }
    if (!found) problems.add(file + ": withBlockOwnerDeletion(true) outside an `OwnerReference x(Type t)` method: cannot tell the owner");
  }

  void add(String target, String verb, String where) {
    int sub = verb.indexOf(':');
    if (sub > 0) { // "status:update" = update on <resource>/status; "exec:create" = create on <resource>/exec
      target = target + "/" + verb.substring(0, sub);
      verb = verb.substring(sub + 1);
    }
    derived.computeIfAbsent(target, k -> new TreeSet<>()).add(verb);
    why.computeIfAbsent(target + "|" + verb, k -> new TreeSet<>()).add(where);
  }

  boolean compare(Path rendered) throws IOException {
    Map<String, Set<String>> granted = new TreeMap<>();
    Map<String, Set<String>> lease = new TreeMap<>();
    int clusterRoles = 0;
    int roles = 0;
    try (MappingIterator<JsonNode> docs = new YAMLMapper().readerFor(JsonNode.class).readValues(rendered.toFile())) {
      while (docs.hasNext()) {
        JsonNode d = docs.next();
        if (d == null || d.isMissingNode() || d.isNull()) continue;
        String kind = d.path("kind").asText();
        if (!kind.equals("ClusterRole") && !kind.equals("Role")) continue;
        boolean cluster = kind.equals("ClusterRole");
        if (cluster) clusterRoles++; else roles++;
        for (JsonNode rule : d.path("rules")) {
          for (JsonNode g : rule.path("apiGroups")) for (JsonNode r : rule.path("resources")) for (JsonNode v : rule.path("verbs")) {
            String key = g.asText() + "|" + r.asText();
            if (g.asText().equals("*") || r.asText().equals("*") || v.asText().equals("*")) {
              problems.add(kind + " " + d.path("metadata").path("name").asText() + ": wildcard in " + rule);
            }
            (cluster ? granted : lease).computeIfAbsent(key, k -> new TreeSet<>()).add(v.asText());
          }
        }
      }
    }
    if (clusterRoles != 1) problems.add("expected 1 ClusterRole in the rendered chart, found " + clusterRoles);
    System.out.println("RBAC the controller code needs (from " + sources.size() + " k8s-adapter sources):");
    derived.forEach((k, v) -> System.out.println("  " + k.replace('|', ' ').trim() + ": " + v));
    for (var e : derived.entrySet()) {
      for (String v : e.getValue()) {
        if (!granted.getOrDefault(e.getKey(), Set.of()).contains(v)) {
          problems.add("MISSING in the chart's ClusterRole: " + e.getKey().replace('|', ' ').trim() + " " + v
              + "  (used at " + why.get(e.getKey() + "|" + v) + ")");
        }
      }
    }
    for (var e : granted.entrySet()) {
      for (String v : e.getValue()) {
        if (isOptionalGrantInUse(e.getKey(), v)) continue;
        if (!derived.getOrDefault(e.getKey(), Set.of()).contains(v)) {
          problems.add("EXTRA in the chart's ClusterRole (no code makes this call): " + e.getKey().replace('|', ' ').trim() + " " + v);
        }
      }
    }
    // leader election: exactly a Lease lock (get, create, update, patch) and nothing else in Roles
    if (roles > 0) {
      Map<String, Set<String>> want = Map.of("coordination.k8s.io|leases", Set.of("create", "get", "update", "patch"));
      if (!lease.equals(want)) problems.add("the namespaced Role must be exactly leases get/create/update/patch (leader election), found " + lease);
    }
    if (problems.isEmpty()) {
      System.out.println("OK: the chart's ClusterRole grants exactly these" + (roles > 0 ? "; the Role exactly a Lease lock" : ""));
      return true;
    }
    problems.forEach(p -> System.err.println("rbac-check: " + p));
    System.err.println("rbac-check: FAILED. Change charts/agent-sandbox/templates/rbac.yaml so it grants exactly what"
        + " the code calls (or teach scripts/RbacCoverageCheck.java a new kind of call).");
    return false;
  }

  /**
   * Grants outside k8s-adapter that the chart renders only when a feature is on: "group|resource|verb"
   * -> {source file (from the repository root), the call it must contain}. Accepted only while that
   * source still makes the call, so a grant cannot outlive its code.
   */
  static final Map<String, String[]> OPTIONAL = Map.of(
      "authentication.k8s.io|tokenreviews|create",
      new String[] {"k8s-adapter/src/main/java/io/agentsandbox/k8s/auth/TokenReviewVerifier.java",
          "authentication().v1().tokenReviews().create("});

  static boolean isOptionalSource(String relative) {
    return OPTIONAL.values().stream().anyMatch(use -> use[0].endsWith("/" + relative));
  }

  static boolean isOptionalGrantInUse(String groupResource, String verb) {
    String[] use = OPTIONAL.get(groupResource + "|" + verb);
    if (use == null) return false;
    try {
      return stripComments(Files.readString(Path.of(use[0]))).replaceAll("\\s+", "").contains(use[1]);
    } catch (IOException e) {
      return false;
    }
  }

  // ---- tiny Java text helpers ----

  static String stripComments(String s) {
    StringBuilder b = new StringBuilder(s.length());
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '"' || c == '\'') {
        if (s.startsWith("\"\"\"", i)) { // text block
          int end = s.indexOf("\"\"\"", i + 3);
          end = end < 0 ? s.length() : end + 3;
          b.append(s, i, end);
          i = end;
          continue;
        }
        int j = i + 1;
        while (j < s.length() && s.charAt(j) != c) j += s.charAt(j) == '\\' ? 2 : 1;
        j = Math.min(j + 1, s.length());
        b.append(s, i, j);
        i = j;
      } else if (s.startsWith("//", i)) {
        while (i < s.length() && s.charAt(i) != '\n') i++;
      } else if (s.startsWith("/*", i)) {
        int end = s.indexOf("*/", i + 2);
        i = end < 0 ? s.length() : end + 2;
        b.append(' ');
      } else {
        b.append(c);
        i++;
      }
    }
    return b.toString();
  }

  /** Statements: split at ; { } outside parentheses' string literals (good enough for call chains). */
  static List<String> statements(String code) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean inStr = false;
    for (int i = 0; i < code.length(); i++) {
      char c = code.charAt(i);
      if (c == '"' && (i == 0 || code.charAt(i - 1) != '\\')) inStr = !inStr;
      if (!inStr && (c == ';' || c == '{' || c == '}')) {
        if (c == ';') cur.append(';');
        if (!cur.toString().isBlank()) out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    if (!cur.toString().isBlank()) out.add(cur.toString());
    return out;
  }

  /** The text of the block whose '{' is at `open`. */
  static String block(String code, int open) {
    int depth = 0;
    for (int i = open; i < code.length(); i++) {
      if (code.charAt(i) == '{') depth++;
      else if (code.charAt(i) == '}' && --depth == 0) return code.substring(open + 1, i);
    }
    return code.substring(open + 1);
  }
}
