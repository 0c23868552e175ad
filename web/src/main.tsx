import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import './ui/style.css';

createRoot(document.getElementById('root')!).render(<App />);
