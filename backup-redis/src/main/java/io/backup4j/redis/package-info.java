/**
 * Redis snapshots over the replication protocol, and their restores (provider {@code redis}, schemes
 * {@code redis} and {@code rediss}).
 *
 * <p>See {@link io.backup4j.redis.RedisSourceProvider} for the URI syntax, the options and how the snapshot is
 * taken; the restore targets are described there too.
 */
@NullMarked
package io.backup4j.redis;

import org.jspecify.annotations.NullMarked;
