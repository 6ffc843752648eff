/**
 * PostgreSQL logical backups and restores driven by {@code pg_dump}, {@code pg_restore} and {@code psql}: the
 * {@code postgres} {@link io.backup4j.api.spi.SourceProvider} and {@link io.backup4j.postgres.PostgresSource} for
 * applications that build sources themselves (from a URI or a {@link javax.sql.DataSource}).
 */
@NullMarked
package io.backup4j.postgres;

import org.jspecify.annotations.NullMarked;
