/** JMH: the claim API's JSON decode and encode, allocation measured with -prof gc. */
package io.agentsandbox.bench.codec;
