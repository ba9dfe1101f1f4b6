/** Entry of the page: registers the components; <pg-app> in index.html does the rest. */
import './app';
