/** Engine internals. Not an API: plugins and applications never import this package. */
@NullMarked
package io.backup4j.core.internal;

import org.jspecify.annotations.NullMarked;
