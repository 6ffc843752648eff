/**
 * Real Redis servers for tests: {@link io.backup4j.testkit.redis.RedisFixture} starts {@code redis-server} (the
 * Redis 6.2 binary embedded in {@code com.github.codemonstur:embedded-redis}, or the system's
 * {@code redis-server}) on a free loopback port in a private directory, and {@link
 * io.backup4j.testkit.redis.RedisTestClient} talks to it.
 */
@NullMarked
package io.backup4j.testkit.redis;

import org.jspecify.annotations.NullMarked;
