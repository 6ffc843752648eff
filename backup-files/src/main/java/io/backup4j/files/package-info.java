/**
 * File-tree backups (kind {@code files}): a directory tree streamed as one POSIX/PAX tar part ({@code tree.tar}) and
 * restored through a private staging directory that refuses entries escaping the target ("zip slip").
 *
 * <p>Entry point: {@link io.backup4j.files.FilesSourceProvider}, found through {@link java.util.ServiceLoader} under
 * the name and URI scheme {@code files}. The tar layout is described in {@link io.backup4j.files.FilesSource}.
 */
@NullMarked
package io.backup4j.files;

import org.jspecify.annotations.NullMarked;
