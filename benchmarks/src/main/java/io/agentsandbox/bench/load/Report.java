package io.agentsandbox.bench.load;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything one harness invocation produced, ready to be written as JSON and HTML. Built by one
 * thread (the harness's main thread).
 */
public final class Report {

  /** One step of {@code find-max}: a run and whether it met the SLO. */
  public record Step(RunResult run, boolean sustained, String verdict) {}

  final String mode;
  final String startedAt;
  final Map<String, Object> settings = new LinkedHashMap<>();
  final Map<String, Object> environment = new LinkedHashMap<>();
  final List<RunResult> runs = new ArrayList<>();
  final List<Step> steps = new ArrayList<>();
  final Map<String, Double> ratios = new LinkedHashMap<>();
  final Map<String, Object> headline = new LinkedHashMap<>();
  final List<String> notes = new ArrayList<>();

  public Report(String mode, String startedAt) {
    this.mode = mode;
    this.startedAt = startedAt;
  }

  public Report setting(String key, Object value) {
    settings.put(key, value);
    return this;
  }

  public Report environment(String key, Object value) {
    environment.put(key, value);
    return this;
  }

  public Report run(RunResult run) {
    runs.add(run);
    return this;
  }

  public Report step(Step step) {
    steps.add(step);
    return this;
  }

  /** A ratio claims ÷ baseline; skipped when the baseline is 0. */
  public Report ratio(String key, double claims, double baseline) {
    if (baseline != 0) ratios.put(key, claims / baseline);
    return this;
  }

  public Report headline(String key, Object value) {
    headline.put(key, value);
    return this;
  }

  public Report note(String note) {
    notes.add(note);
    return this;
  }

  public String mode() {
    return mode;
  }

  public List<RunResult> runs() {
    return runs;
  }

  public List<Step> steps() {
    return steps;
  }

  public Map<String, Double> ratios() {
    return ratios;
  }

  public Map<String, Object> headline() {
    return headline;
  }
}
