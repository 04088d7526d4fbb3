package io.agentsandbox.k8s.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;

/**
 * A reference by name to an object in the same namespace ({@code sandboxTemplateRef}, {@code
 * warmPoolRef}). Mutable JSON bean.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LocalObjectRef {

  @Required private String name;

  public LocalObjectRef() {}

  public LocalObjectRef(String name) {
    this.name = name;
  }

  /** The referenced object's name. Required. */
  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }
}
